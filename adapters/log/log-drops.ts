/**
 * Counts the log records that could not be written (a full disk, a file
 * that became unwritable) and says so on `say`'s line once when the
 * trouble starts and once when writing works again, with how many were
 * dropped: a log that cannot be written must not stop the service, and a
 * notice per record would flood the very stream that still works.
 *
 * @example
 * const drops = new LogDrops('the log file /var/log/safekeep.log', (line) => process.stderr.write(line));
 * try { writeSync(fd, line); drops.wrote(); } catch (error) { drops.failed(error); }
 */
export class LogDrops {
  readonly #what: string;
  readonly #say: (line: string) => void;
  #dropped = 0;

  /** `what` names where records go (a file's path, `stderr`): never a secret, so it may be printed. */
  constructor(what: string, say: (line: string) => void) {
    this.#what = what;
    this.#say = say;
  }

  /** Records dropped since writing last worked. */
  get dropped(): number {
    return this.#dropped;
  }

  /** One record was dropped: the first of a run of failures is told, with the OS's reason. */
  failed(error: unknown): void {
    this.#dropped++;
    if (this.#dropped > 1) return;
    const code = (error as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
    this.#tell(`safekeep: cannot write ${this.#what} (${reason}): dropping log records until it can\n`);
  }

  /** A record was written: if some were dropped before it, that is told once. */
  wrote(): void {
    if (this.#dropped === 0) return;
    const count = this.#dropped;
    this.#dropped = 0;
    this.#tell(`safekeep: writing ${this.#what} again; ${count} log record${count === 1 ? ' was' : 's were'} dropped\n`);
  }

  #tell(line: string): void {
    // The notice's own stream may be the one failing: it is best effort, and never thrown into the bus.
    try {
      this.#say(line);
    } catch {
      /* nothing more to do */
    }
  }
}
