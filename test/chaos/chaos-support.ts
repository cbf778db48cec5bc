import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { TestClient } from '../helpers/test-client.ts';

/** One line of the chaos table. Every lost, partial and crash figure must be 0. */
export interface ExperimentRow {
  readonly experiment: string;
  faultsInjected: number;
  requestsSent: number;
  /** Backups answered `Backup completed` whose version was later gone or not intact (and not quarantined as damaged on purpose). */
  ackedWritesLost: number;
  /** Registered versions whose file is not what was registered, files served that are not a backed-up state, and orphans or temp files left behind. */
  partialRegistered: number;
  /** Processes that ended on their own, or could not restart without help. */
  crashes: number;
  notes: string;
}

export function newRow(experiment: string): ExperimentRow {
  return { experiment, faultsInjected: 0, requestsSent: 0, ackedWritesLost: 0, partialRegistered: 0, crashes: 0, notes: '' };
}

export function note(row: ExperimentRow, text: string): void {
  row.notes = row.notes ? `${row.notes}; ${text}` : text;
}

export async function sha256Of(filePath: string): Promise<string> {
  return createHash('sha256').update(await readFile(filePath)).digest('hex');
}

/** A source file of `bytes` random bytes. */
export async function writeRandomFile(filePath: string, bytes: number): Promise<void> {
  await writeFile(filePath, randomBytes(bytes));
}

/** Makes the source a new state (its first 16 bytes), so the next run must copy it in full; returns its SHA-256. */
export async function mutate(filePath: string): Promise<string> {
  const file = await open(filePath, 'r+');
  await file.write(randomBytes(16), 0, 16, 0);
  await file.sync();
  await file.close();
  return sha256Of(filePath);
}

/** One text-dialect request on its own connection; its one-line reply (or '' if the connection closed first). */
export async function ask(port: number, word: string): Promise<string> {
  const client = await TestClient.connect(port);
  try {
    client.send(`${word}\n`);
    const [line = ''] = await client.lines(1);
    return line;
  } finally {
    client.destroy();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small seeded generator, so a failing run can be repeated with the same choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}
