import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { parseInterval } from '../backup/interval.ts';

export interface AskedJob {
  readonly sourcePath: string;
  readonly intervalMs: number;
}

/**
 * Asks for a file and an interval on a terminal, as the original program did,
 * asking again until the path names a file and the interval is from a second to a year.
 * Resolves null if the input ends first (Ctrl-D).
 */
export async function askForJob(input: Readable, output: Writable, cwd: string, knownIntervalMs?: number): Promise<AskedJob | null> {
  const prompt = createInterface({ input, output, terminal: false });
  const lines = prompt[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string | null> => {
    output.write(question);
    const next = await lines.next();
    return next.done ? null : next.value.trim();
  };
  try {
    let sourcePath: string | null = null;
    while (sourcePath === null) {
      const answer = await ask('File to back up: ');
      if (answer === null) return null;
      const candidate = path.resolve(cwd, answer);
      if (answer !== '' && (await isFile(candidate))) sourcePath = candidate;
      else output.write(`  ${answer === '' ? 'Please give a path' : `${candidate} is not a file`}; try again.\n`);
    }
    let intervalMs = knownIntervalMs ?? null;
    while (intervalMs === null) {
      const answer = await ask('Back up every (seconds, or 30s, 5m, 1h): ');
      if (answer === null) return null;
      intervalMs = parseInterval(answer) ?? null;
      if (intervalMs === null) output.write(`  '${answer}' is not an interval from 1s to a year; try again.\n`);
    }
    return { sourcePath, intervalMs };
  } finally {
    prompt.close();
  }
}

async function isFile(candidate: string): Promise<boolean> {
  try {
    return (await stat(candidate)).isFile();
  } catch {
    return false;
  }
}
