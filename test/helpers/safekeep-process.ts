import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const TSX = import.meta.resolve('tsx');
/** The command line that runs safekeep from source, usable from any working directory. */
export const SAFEKEEP_ARGV = ['--import', TSX, MAIN] as const;
/** The built command (`npm run build`), the package's `bin`: what `npm start` runs. */
export const BUILT_MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
/** The command line that runs the built command with plain node, no tsx. */
export const BUILT_ARGV = [BUILT_MAIN] as const;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A safekeep child process, with what it printed so far. */
export class SafekeepProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  stdout = '';
  stderr = '';
  readonly #waiters: (() => void)[] = [];

  /**
   * `nodeFlags` go to node itself, before the script (a bench's `--cpu-prof`, which NODE_OPTIONS does not take);
   * `command` is what node runs: the sources through tsx, or BUILT_ARGV; `env` its environment (SAFEKEEP_* settings).
   */
  constructor(args: readonly string[], cwd: string, nodeFlags: readonly string[] = [], command: readonly string[] = SAFEKEEP_ARGV, env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(process.execPath, [...nodeFlags, ...command, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => this.#append('stdout', text));
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => this.#append('stderr', text));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.#wake();
      resolve({ code, signal });
    }));
  }

  /** Resolves with the first match of `pattern` in the stream, waiting for output as it comes. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpMatchArray> {
    for (;;) {
      const match = this[stream].match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`safekeep exited before printing ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The port from the start line `safekeep listening on HOST:PORT…`. */
  async port(): Promise<number> {
    const match = await this.waitFor('stdout', /listening on [\d.]+:(\d+)/);
    return Number(match[1]);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  #append(stream: 'stdout' | 'stderr', text: string): void {
    this[stream] += text;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** Starts safekeep with `args` in `cwd`; the test stops it. */
export function spawnSafekeep(args: readonly string[], cwd: string): SafekeepProcess {
  return new SafekeepProcess(args, cwd);
}

/** Runs a command to completion and returns its exit code and output. */
export function run(command: string, args: readonly string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    // A command that exits without reading its input must not fail the caller with EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * For one test file: starts the built command, and kills every service it
 * started when the file's tests end, so a failed test never leaves one running.
 *
 * @example
 * const startBuilt = builtServices();
 * const service = startBuilt(['--port', '0'], folder);
 */
export function builtServices(): (args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv) => SafekeepProcess {
  const started: SafekeepProcess[] = [];
  after(() => Promise.all(started.map((service) => service.stop('SIGKILL'))));
  return (args, cwd, env = process.env) => {
    const service = new SafekeepProcess(args, cwd, [], BUILT_ARGV, env);
    started.push(service);
    return service;
  };
}
