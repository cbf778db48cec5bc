import { spawn, type ChildProcess } from 'node:child_process';

const LISTENING = /listening on [\d.]+:(\d+)/;

/**
 * A server child process of a bench (safekeep or a baseline), known by the
 * line it prints once it listens. It runs in a process group of its own so
 * that stopping it also stops whatever it started (`npm start` → sh → node),
 * and `startedAt`/`listeningAt` time spawn → that line on one clock.
 */
export class ListeningProcess {
  /** Every one not yet exited, for `killAll` when a bench fails or is interrupted. */
  static readonly #running = new Set<ListeningProcess>();
  readonly child: ChildProcess;
  readonly startedAt: number;
  listeningAt = Number.NaN;
  port = Number.NaN;
  stdout = '';
  stderr = '';
  readonly exited: Promise<void>;
  readonly #waiters = new Set<() => void>();

  constructor(command: string, args: readonly string[], cwd: string) {
    this.startedAt = performance.now();
    this.child = spawn(command, [...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
      if (Number.isNaN(this.port)) {
        const match = LISTENING.exec(this.stdout);
        if (match) {
          this.listeningAt = performance.now();
          this.port = Number(match[1]);
        }
      }
      this.#wake();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      this.#wake();
    });
    ListeningProcess.#running.add(this);
    this.exited = new Promise((resolve) => this.child.on('exit', () => {
      ListeningProcess.#running.delete(this);
      this.#wake();
      resolve();
    }));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Milliseconds from spawn to the listening line. */
  get startupMs(): number {
    return this.listeningAt - this.startedAt;
  }

  /** Resolves once `pattern` has appeared in the stream; fails if the process exits first or `timeoutMs` passes. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const giveUpAt = performance.now() + timeoutMs;
    for (;;) {
      const match = this[stream].match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null || performance.now() > giveUpAt) {
        throw new Error(`${this.child.spawnargs.join(' ')} did not print ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, giveUpAt - performance.now()) + 1);
        this.#waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async listening(timeoutMs?: number): Promise<number> {
    await this.waitFor('stdout', LISTENING, timeoutMs);
    return this.port;
  }

  /** SIGTERM to the whole group, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.#signalGroup('SIGTERM');
    const timer = setTimeout(() => this.#signalGroup('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL to every group still running: synchronous, for a process 'exit' handler. */
  static killAll(): void {
    for (const running of ListeningProcess.#running) running.#signalGroup('SIGKILL');
  }

  #signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}
