import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileBenchScript } from './compile-bench-script.ts';
import { LineClient } from './line-client.ts';
import { ListeningProcess } from './listening-process.ts';
import { LoadGeneratorProcess } from './load-generator-process.ts';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
const DIST_MAIN = path.join(REPO, 'dist/src/cli/main.js');
export const TEXT_REQUEST = 'revert\n';
/** Each serving command line: the interval keeps the first backup the only one, and no scrub runs meanwhile. */
const SERVE_ARGS = ['--source', 'notes.json', '--interval', '1h', '--verify-interval', 'off', '--port', '0'];

/**
 * What the wire-speed bench drives and measures with: safekeep from `dist`,
 * the bare baselines compiled to plain JavaScript, the GC hook for memory
 * readings, and the load generator, all in one temp folder that `close`
 * removes once every process is stopped.
 */
export class WireRig {
  readonly generator = new LoadGeneratorProcess();
  #roots = 0;
  #dataDirs = 0;

  private constructor(
    readonly root: string,
    readonly bareTextServer: string,
    readonly bareJsonServer: string,
    readonly gcPreload: string,
  ) {}

  static async open(): Promise<WireRig> {
    const root = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-wire-'));
    const compile = (name: string) => compileBenchScript(fileURLToPath(new URL(name, import.meta.url)), root);
    return new WireRig(root, await compile('./bare-net-server.ts'), await compile('./bare-json-server.ts'), await compile('./gc-on-signal.ts'));
  }

  /** A new folder holding the source file `notes.json`, where a safekeep runs. */
  async newRoot(): Promise<string> {
    const root = path.join(this.root, `run-${this.#roots++}`);
    await mkdir(root);
    await writeFile(path.join(root, 'notes.json'), '{"bench": true}');
    return root;
  }

  /** `node [nodeFlags] dist/src/cli/main.js args` in `root`, with a data directory of its own. */
  safekeep(root: string, args: readonly string[], nodeFlags: readonly string[] = []): ListeningProcess {
    return new ListeningProcess(process.execPath, [...nodeFlags, DIST_MAIN, ...args, '--data-dir', path.join(root, `data-${this.#dataDirs++}`)], root);
  }

  /** A safekeep that listens and has its first backup; resolves with it and what `revert` answers. */
  async servingSafekeep(args: readonly string[] = [], nodeFlags: readonly string[] = []): Promise<{ server: ListeningProcess; revertPath: string }> {
    const server = this.safekeep(await this.newRoot(), [...SERVE_ARGS, ...args], nodeFlags);
    const port = await server.listening();
    await server.waitFor('stderr', /done: /);
    const client = await LineClient.connect(port);
    const revertPath = await client.request(TEXT_REQUEST);
    client.close();
    return { server, revertPath };
  }

  /** A bare server (one of the compiled scripts) answering every request with `reply`, once it listens. */
  async bare(script: string, reply: string, nodeFlags: readonly string[] = []): Promise<ListeningProcess> {
    const server = new ListeningProcess(process.execPath, [...nodeFlags, script, reply], this.root);
    await server.listening();
    return server;
  }

  async close(): Promise<void> {
    this.generator.stop();
    await rm(this.root, { recursive: true, force: true });
  }
}
