import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Host } from '../src/host/host.ts';
import { startHost } from '../src/host/start-host.ts';
import { Secret } from '../src/secret/secret.ts';

/**
 * Entry operations against the size of the book (issue 11's bar: `entry.add`
 * on a book of 1,000 entries within 2× of the same call on a book of 10). One
 * in-process host on a real temp data directory, default (cheapest allowed)
 * Argon2 cost, two users: one with SMALL entries, one with LARGE. The adds
 * alternate between the two, so both see the same disk and store state; the
 * figure is the median. entry.get and entry.list are printed too, without a
 * bar (a list is meant to grow with the book).
 */
const SMALL = 10;
const LARGE = 1_000;
const ADDS = 200;
const GETS = 100;
const LISTS = 10;

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function userWith(host: Host, username: string, entries: number): Promise<Secret> {
  const masterPassword = new Secret(`${username}'s bench master password`);
  await host.request('user.register', { username, masterPassword });
  const { token } = await host.request('session.login', { username, masterPassword });
  for (let i = 0; i < entries; i++) await host.request('entry.add', { token, name: `site ${i}`, password: new Secret(`password ${i}`) });
  return token;
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-entries-'));
const host = await startHost({ dataDir, socket: false });
try {
  const books = { small: await userWith(host, 'small', SMALL), large: await userWith(host, 'large', LARGE) };
  const samples = { add: { small: [] as number[], large: [] as number[] }, get: { small: [] as number[], large: [] as number[] }, list: { small: [] as number[], large: [] as number[] } };
  for (let i = 0; i < ADDS; i++) {
    const which = i % 2 === 0 ? 'small' : 'large';
    samples.add[which].push(await timed(() => host.request('entry.add', { token: books[which], name: `added ${i}`, password: new Secret(`added password ${i}`) })));
  }
  for (let i = 0; i < GETS; i++) {
    for (const which of ['small', 'large'] as const) samples.get[which].push(await timed(() => host.request('entry.get', { token: books[which], name: `site ${i % SMALL}` })));
  }
  for (let i = 0; i < LISTS; i++) {
    for (const which of ['small', 'large'] as const) samples.list[which].push(await timed(() => host.request('entry.list', { token: books[which] })));
  }
  const row = (label: string, small: number[], large: number[], bar?: string) => {
    const ratio = median(large) / median(small);
    const verdict = bar === undefined ? '' : `  bar ${bar}: ${ratio <= 2 ? 'holds' : 'MISSED'}`;
    console.log(`  ${label.padEnd(22)} ${median(small).toFixed(2).padStart(8)} ms  ${median(large).toFixed(2).padStart(8)} ms  ${ratio.toFixed(2).padStart(6)}×${verdict}`);
  };
  console.log(`book entries: median per call, a book of ${SMALL} against one of ${LARGE} (one host, real disk)`);
  console.log(`  ${'operation'.padEnd(22)} ${`${SMALL} entries`.padStart(11)}  ${`${LARGE} entries`.padStart(11)}  ratio`);
  row(`entry.add (${ADDS / 2} each)`, samples.add.small, samples.add.large, '≤ 2×');
  row(`entry.get (${GETS} each)`, samples.get.small, samples.get.large);
  row(`entry.list (${LISTS} each)`, samples.list.small, samples.list.large);
} finally {
  await host.stop('bench');
  await rm(dataDir, { recursive: true, force: true });
}
