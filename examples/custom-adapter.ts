/**
 * A custom adapter: an audit log that appends one JSON line per backup
 * outcome to a file of its own. Like the built-in adapters it meets the rest
 * of safekeep only on the bus, and it closes its file on stop. Run:
 * `npm run example -- examples/custom-adapter.ts`.
 */
import { open, mkdtemp, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { merge, map, type Subscription } from 'rxjs';
import { startHost, type Bus, type HostAdapter } from 'safekeep';

class AuditLogAdapter implements HostAdapter {
  readonly name = 'audit-log';
  readonly #file: string;
  #handle: FileHandle | null = null;
  #subscription: Subscription | null = null;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.#file = file;
  }

  async start(bus: Bus): Promise<void> {
    this.#handle = await open(this.#file, 'a');
    this.#subscription = merge(
      bus.on$('backup.completed').pipe(map((e) => ({ at: e.at, job: e.jobId, outcome: e.kind, version: e.version.seq }))),
      bus.on$('backup.failed').pipe(map((e) => ({ at: e.at, job: e.jobId, outcome: 'failed', code: e.error.code }))),
    ).subscribe((line) => {
      // Chained, so lines land in event order and stop() can wait for the last one.
      this.#writes = this.#writes.then(() => this.#handle?.appendFile(`${JSON.stringify(line)}\n`));
    });
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    await this.#writes;
    await this.#handle?.sync();
    await this.#handle?.close();
    this.#handle = null;
  }
}

const workDir = await mkdtemp(path.join(tmpdir(), 'safekeep-example-'));
const source = path.join(workDir, 'todo.md');
const auditFile = path.join(workDir, 'audit.ndjson');
await writeFile(source, '- write the example\n');

const host = await startHost({ dataDir: path.join(workDir, 'data'), socket: false, allowedPaths: [workDir], adapters: [new AuditLogAdapter(auditFile)] });
const job = await host.addJob({ sourcePath: source, intervalMs: 60 * 60_000 });
await host.runBackup(job.id);
await writeFile(source, '- write the example\n- run it\n');
await host.runBackup(job.id);
await host.stop(); // stops the adapter too, so the log is complete on disk

process.stdout.write(await readFile(auditFile, 'utf8'));
await rm(workDir, { recursive: true, force: true });
