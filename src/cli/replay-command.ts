import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SafekeepError } from '../errors/safekeep-error.ts';
import { replayRecording, type ReplayResult } from '../replay/replay.ts';

export const REPLAY_HELP = `Usage: safekeep replay RECORDING

Replays a recording made with --record on a fresh host (no socket, no disk,
a virtual clock and the recorded ids) and checks that it decides exactly what
the recorded run decided.

Exits 0 when every step is the same, 1 at the first step that differs (both
versions are printed), 2 when the file cannot be read as a recording.
`;

/** `safekeep replay FILE`: prints what happened and resolves with the exit code. */
export async function replayCommand(argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, cwd = process.cwd()): Promise<number> {
  let file: string | undefined;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      out.write(REPLAY_HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new TypeError('give exactly one recording to replay');
    file = positionals[0] as string;
  } catch (error) {
    err.write(`safekeep replay: ${error instanceof Error ? error.message : String(error)}\nRun with --help to see the usage.\n`);
    return 2;
  }

  let result: ReplayResult;
  try {
    result = await replayRecording(await readFile(path.resolve(cwd, file), 'utf8'));
  } catch (error) {
    const reason = error instanceof SafekeepError || (error instanceof Error && 'code' in error) ? error.message : String(error);
    err.write(`safekeep replay: ${file}: ${reason}\n`);
    return 2;
  }
  out.write(describe(file, result));
  return result.divergence ? 1 : 0;
}

/** The report: the same recording always gives the same text (no timings, no paths but the one given). */
function describe(file: string, { steps, matched, complete, divergence }: ReplayResult): string {
  if (!divergence) return `${file}: ${steps} steps replayed, identical${complete ? '' : ' (the recording was cut short: its host never stopped)'}\n`;
  return [
    `${file}: diverged at step ${divergence.seq} of ${steps} (${matched} identical before it): ${divergence.reason}`,
    `  recorded: ${divergence.recorded ?? '(nothing: the recording ends here)'}`,
    `  replayed: ${divergence.replayed ?? '(nothing)'}`,
    '',
  ].join('\n');
}
