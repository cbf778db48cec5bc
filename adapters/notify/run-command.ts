import { spawn } from 'node:child_process';
import { DeliveryError } from './delivery-error.ts';
import { urlsAsOrigins } from './target-origin.ts';

export interface RunCommandOptions {
  /** Added to the inherited environment (which loses its own SAFEKEEP_* variables first). */
  readonly variables: Readonly<Record<string, string>>;
  /** Killed (its whole process group) after this long. */
  readonly timeoutMs: number;
  /** Of stdout and stderr together, the last this many bytes are kept for the summary. */
  readonly maxOutputBytes: number;
  /** Aborting kills the command at once. */
  readonly signal: AbortSignal;
}

/** How long a command that ignored SIGTERM gets before SIGKILL. */
const KILL_GRACE_MS = 2_000;

/**
 * Runs the operator's `--on-failure` command as `/bin/sh -c COMMAND`, the
 * command exactly as configured and the details only in the environment, so
 * nothing a job name or an error message holds is ever parsed by the shell.
 * Resolves with a summary of its output when it exits 0; otherwise rejects
 * with a DeliveryError naming the exit code (or the signal, or the time
 * limit) and the last line it printed, every URL in it cut to its origin
 * (a hook under `set -x` or `curl -v` prints its URL, token and all).
 *
 * The command runs in its own process group, so a timeout kills what it
 * started too (a `curl` under the shell), not the shell alone.
 *
 * @example
 * await runCommand('notify-send "backup failed: $SAFEKEEP_JOB"', { variables, timeoutMs: 30_000, maxOutputBytes: 4096, signal });
 */
export function runCommand(command: string, options: RunCommandOptions): Promise<string> {
  const env: NodeJS.ProcessEnv = {};
  // The service's own settings (SAFEKEEP_WEBHOOK may hold a token) are not the command's business, and must not be mistaken for the notice's.
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('SAFEKEEP_')) env[name] = value;
  Object.assign(env, options.variables);

  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = Buffer.alloc(0);
    let cut = false;
    const keep = (chunk: Buffer) => {
      output = Buffer.concat([output, chunk]);
      if (output.length > options.maxOutputBytes) {
        output = output.subarray(output.length - options.maxOutputBytes);
        cut = true;
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    let stoppedBecause: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (why: string) => {
      if (stoppedBecause !== null || child.pid === undefined) return;
      stoppedBecause = why;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid as number, 'SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => kill(`did not finish within ${options.timeoutMs % 1000 === 0 ? `${options.timeoutMs / 1000} s` : `${options.timeoutMs} ms`} and was killed`), options.timeoutMs);
    const onAbort = () => kill('was killed because the service is stopping');
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) onAbort();

    const finish = () => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      finish();
      reject(new DeliveryError(`the shell could not be started: ${error.message}`, { retryable: false, cause: error }));
    });
    // 'close', not 'exit': the output pipes are read to their end first.
    child.on('close', (code, signal) => {
      finish();
      const said = lastLine(output, cut);
      const tail = said === '' ? '' : `; its last output: ${said}`;
      if (stoppedBecause !== null) reject(new DeliveryError(`the command ${stoppedBecause}${tail}`, { retryable: false }));
      else if (code === 0) resolve(said);
      else reject(new DeliveryError(`the command ${code === null ? `was killed by ${signal}` : `exited with ${code}`}${tail}`, { retryable: false }));
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * The last non-empty line, its URLs cut to their origins, then shortened:
 * enough for a log line to say what the command complained about. When the
 * output was `cut` to its bound, the word it starts in the middle of is
 * dropped: the tail of a URL (`hc-ping.com/<uuid>`) no longer looks like one.
 */
function lastLine(output: Buffer, cut: boolean): string {
  const text = output.toString('utf8');
  const whole = cut ? text.replace(/^\S*/, '') : text;
  const lines = whole.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  const last = urlsAsOrigins(lines.at(-1) ?? '');
  return last.length > 200 ? `${last.slice(0, 200)}…` : last;
}
