import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pythonJsonDumps } from '../src/protocol/python-json.ts';
import { SafekeepProcess } from '../test/helpers/safekeep-process.ts';
import { topSelfTimes } from './cpu-profile-top.ts';
import { appendLatencies, groupCommitRate } from './durable-append-baselines.ts';
import { LineClient } from './line-client.ts';
import { BENCH_MASTER_PASSWORD, buildScaleStore, type ScaleStore } from './scale-store-builder.ts';

/**
 * The password book's store at scale (issue 11): a data directory of
 * `--users` users (default 100,000) with a few entries each, built through
 * the store contract, served by the real CLI as a child process, each figure
 * measured side by side with its baseline in this one run and printed with
 * the ratio, the bar and PASS or MISS. A MISS never fails the run:
 * the bench informs. `--cpu-prof` also profiles the child through the
 * `number_of_users` and `check_users` phases and prints the top 5 self times.
 */
const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    logins: { type: 'string', default: '1000' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const USERS = Number(args.users);
const LOGINS = Math.min(USERS, Number(args.logins));
const ENTRY_ADDS = 300;
const COUNT_CALLS = 1_000;
const CHECK_USERS_CALLS = 20;
const WRITERS = 64;
const WRITERS_MS = 3_000;
const STARTS = 3;
/** The per-address login throttle lets 20 through at once; each address logs in this many. */
const LOGINS_PER_ADDRESS = 10;
const LOGIN_WORKERS = 8;

const NUMBER_OF_USERS = JSON.stringify({ message: 'number_of_users' });
const CHECK_USERS = JSON.stringify({ message: 'check_users' });
const BARE_BOOK_SERVER = fileURLToPath(new URL('./bare-book-server.ts', import.meta.url));

interface Row {
  readonly figure: string;
  readonly safekeep: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly bar: string;
  readonly verdict: 'PASS' | 'MISS' | '';
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 10e6 ? 1 : 0)} MB`;
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const verdict = (met: boolean) => (met ? 'PASS' : 'MISS');

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** Round trip of each of `count` requests, one after another on one connection. */
async function roundTrips(client: LineClient, request: string, count: number, check: (reply: string) => void = () => undefined): Promise<number[]> {
  const latencies: number[] = [];
  for (let n = 0; n < count; n++) {
    const { ms: took, value } = await timed(() => client.request(request));
    check(value);
    latencies.push(took);
  }
  return latencies;
}

/** The safekeep CLI on `dataDir`, and how long it took from spawn to listening. */
async function startSafekeep(dataDir: string, cwd: string, nodeFlags: readonly string[] = []): Promise<{ process: SafekeepProcess; port: number; startMs: number }> {
  const started = performance.now();
  const child = new SafekeepProcess(['--port', '0', '--data-dir', dataDir], cwd, nodeFlags);
  const port = await child.port();
  return { process: child, port, startMs: performance.now() - started };
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

async function startBareServer(namesFile: string) {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), BARE_BOOK_SERVER, namesFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', () => reject(new Error('the bare book server exited')));
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      const match = /:(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
  });
  return { child, port };
}

/** Logs in each user once, from addresses 127.0.1.x so no address passes the per-address throttle; resolves with their session tokens. */
async function logInAll(port: number, usernames: readonly string[]): Promise<string[]> {
  const tokens: string[] = new Array<string>(usernames.length);
  let nextAddress = 0;
  const addresses = Math.ceil(usernames.length / LOGINS_PER_ADDRESS);
  await Promise.all(
    Array.from({ length: LOGIN_WORKERS }, async () => {
      for (let address = nextAddress++; address < addresses; address = nextAddress++) {
        const client = await LineClient.connect(port, `127.0.${1 + Math.floor(address / 250)}.${1 + (address % 250)}`);
        for (let index = address * LOGINS_PER_ADDRESS; index < Math.min(usernames.length, (address + 1) * LOGINS_PER_ADDRESS); index++) {
          const reply = await client.call({ type: 'session.login', username: usernames[index], masterPassword: BENCH_MASTER_PASSWORD });
          if (reply['ok'] !== true) throw new Error(`login of ${usernames[index]} failed: ${JSON.stringify(reply['error'])}`);
          tokens[index] = (reply['result'] as { token: string }).token;
        }
        client.close();
      }
    }),
  );
  return tokens;
}

async function addEntry(client: LineClient, token: string, name: string): Promise<void> {
  const reply = await client.call({ type: 'entry.add', token, name, password: `bench password for ${name}` });
  if (reply['ok'] !== true) throw new Error(`entry.add failed: ${JSON.stringify(reply['error'])}`);
}

/** Acknowledged `entry.add`s per second from `WRITERS` connections, each a different user adding entries in a loop. */
async function concurrentAdds(port: number, tokens: readonly string[]): Promise<number> {
  const clients = await Promise.all(Array.from({ length: WRITERS }, () => LineClient.connect(port)));
  const deadline = performance.now() + WRITERS_MS;
  let acknowledged = 0;
  const started = performance.now();
  await Promise.all(
    clients.map(async (client, writer) => {
      const token = tokens[(writer + 1) % tokens.length] as string;
      for (let n = 0; performance.now() < deadline; n++) {
        await addEntry(client, token, `writer ${writer} entry ${n}`);
        acknowledged++;
      }
      client.close();
    }),
  );
  return acknowledged / ((performance.now() - started) / 1_000);
}

/** Median time from spawn to listening over STARTS starts of each data directory, alternating. */
async function startups(root: string, dataDir: string, emptyDir: string): Promise<{ store: number; empty: number; emptyRss: number }> {
  const store: number[] = [];
  const empty: number[] = [];
  let emptyRss = NaN;
  for (let round = 0; round < STARTS; round++) {
    const withEmpty = await startSafekeep(emptyDir, root);
    empty.push(withEmpty.startMs);
    if (round === STARTS - 1) {
      // The empty store's RSS after the same questions the full one answers first.
      const client = await LineClient.connect(withEmpty.port);
      await client.request(NUMBER_OF_USERS);
      await client.request(CHECK_USERS);
      client.close();
      emptyRss = await rssOf(withEmpty.process.child.pid as number);
    }
    await withEmpty.process.stop();
    const withStore = await startSafekeep(dataDir, root);
    store.push(withStore.startMs);
    await withStore.process.stop();
  }
  return { store: percentile(store, 50), empty: percentile(empty, 50), emptyRss };
}

async function profileSeedQuestions(root: string, dataDir: string): Promise<void> {
  const profileDir = path.join(root, 'profile');
  await mkdir(profileDir);
  const safekeep = await startSafekeep(dataDir, root, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
  const client = await LineClient.connect(safekeep.port);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  await roundTrips(client, NUMBER_OF_USERS, 1 + COUNT_CALLS);
  await roundTrips(client, CHECK_USERS, CHECK_USERS_CALLS);
  const toUs = Number(process.hrtime.bigint() / 1000n);
  client.close();
  await safekeep.process.stop();
  const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
  if (!file) {
    console.log('  (no CPU profile was written)');
    return;
  }
  console.log(`CPU profile of the child through the first number_of_users, ${COUNT_CALLS} more and ${CHECK_USERS_CALLS} check_users (start-up left out): top 5 self time`);
  for (const { name, ms: self, share } of await topSelfTimes(path.join(profileDir, file), 5, { fromUs, toUs })) {
    console.log(`  ${ms(self).padStart(10)} ${(share * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}

function printTable(store: ScaleStore, rows: readonly Row[]): void {
  console.log(
    `password-book store at ${USERS} users (built in ${(store.buildMs / 1_000).toFixed(1)} s through the store contract; ` +
      `${store.loginUsers.length} with real credentials, made in ${(store.credentialsMs / 1_000).toFixed(1)} s)`,
  );
  const widths = [38, 14, 14, 8, 10];
  const cells = (row: readonly string[]) =>
    `  ${(row[0] ?? '').padEnd(widths[0] as number)} ${row
      .slice(1, 5)
      .map((cell, index) => cell.padStart(widths[index + 1] as number))
      .join(' ')}  ${row[5] ?? ''}`.trimEnd();
  console.log(cells(['figure', 'safekeep', 'baseline', 'ratio', 'bar', '']));
  for (const row of rows) console.log(cells([row.figure, row.safekeep, row.baseline, row.ratio, row.bar, row.verdict]));
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-scale-'));
  const dataDir = path.join(root, 'data');
  const emptyDir = path.join(root, 'empty');
  let bare: Awaited<ReturnType<typeof startBareServer>> | null = null;
  let safekeep: Awaited<ReturnType<typeof startSafekeep>> | null = null;
  try {
    const store = await buildScaleStore(dataDir, { users: USERS, loginUsers: LOGINS, now: Date.now() });
    const namesFile = path.join(root, 'names.json');
    await writeFile(namesFile, JSON.stringify(store.usernames));
    bare = await startBareServer(namesFile);

    const started = await startups(root, dataDir, emptyDir);

    safekeep = await startSafekeep(dataDir, root);
    const ours = await LineClient.connect(safekeep.port);
    const theirs = await LineClient.connect(bare.port);
    const expectedCount = pythonJsonDumps({ message: 'return_number_of_users', number_of_users: USERS });
    const countIs = (reply: string) => {
      if (reply !== expectedCount) throw new Error(`number_of_users answered ${reply.slice(0, 200)}`);
    };
    const [firstCount] = await roundTrips(ours, NUMBER_OF_USERS, 1, countIs);
    const [bareFirstCount] = await roundTrips(theirs, NUMBER_OF_USERS, 1, countIs);
    const bareCounts = await roundTrips(theirs, NUMBER_OF_USERS, COUNT_CALLS, countIs);
    const counts = await roundTrips(ours, NUMBER_OF_USERS, COUNT_CALLS, countIs);

    // Both must write the very same bytes; then each round trip includes the client parsing the whole reply.
    const [ourList, bareList] = [await ours.request(CHECK_USERS), await theirs.request(CHECK_USERS)];
    if (ourList !== bareList) throw new Error('check_users: safekeep and the bare server wrote different bytes');
    const parsesWhole = (reply: string) => {
      if ((JSON.parse(reply) as { users: unknown[] }).users.length !== USERS) throw new Error('check_users listed the wrong number of users');
    };
    const lists: number[] = [];
    const bareLists: number[] = [];
    for (let n = 0; n < CHECK_USERS_CALLS; n++) {
      lists.push(...(await roundTrips(ours, CHECK_USERS, 1, parsesWhole)));
      bareLists.push(...(await roundTrips(theirs, CHECK_USERS, 1, parsesWhole)));
    }
    theirs.close();

    const logins = await timed(() => logInAll(safekeep!.port, store.loginUsers));
    const rss = await rssOf(safekeep.process.child.pid as number);

    const adds: number[] = [];
    for (let n = 0; n < ENTRY_ADDS; n++) adds.push((await timed(() => addEntry(ours, logins.value[0] as string, `bench entry ${n}`))).ms);
    const appends = await appendLatencies(dataDir, store.entryRecordBytes, ENTRY_ADDS);
    ours.close();

    const writes = await concurrentAdds(safekeep.port, logins.value);
    const groupCommits = await groupCommitRate(dataDir, store.entryRecordBytes, WRITERS, WRITERS_MS);

    const p50 = (values: readonly number[]) => percentile(values, 50);
    const rows: Row[] = [
      { figure: `entry.add acknowledged, p50 of ${ENTRY_ADDS}`, safekeep: ms(p50(adds)), baseline: ms(p50(appends)), ratio: times(p50(adds) / p50(appends)), bar: '≤ 2×', verdict: verdict(p50(adds) <= 2 * p50(appends)) },
      { figure: `entry.add acknowledged, p90`, safekeep: ms(percentile(adds, 90)), baseline: ms(percentile(appends, 90)), ratio: times(percentile(adds, 90) / percentile(appends, 90)), bar: '', verdict: '' },
      { figure: `${WRITERS} writers, acknowledged writes/s`, safekeep: writes.toFixed(0), baseline: groupCommits.toFixed(0), ratio: times(writes / groupCommits), bar: '≥ 0.5×', verdict: verdict(writes >= 0.5 * groupCommits) },
      { figure: 'number_of_users, first call', safekeep: ms(firstCount as number), baseline: ms(bareFirstCount as number), ratio: times((firstCount as number) / (bareFirstCount as number)), bar: '≤ 1 ms', verdict: verdict((firstCount as number) <= 1) },
      { figure: `number_of_users, p50 of ${COUNT_CALLS}`, safekeep: ms(p50(counts)), baseline: ms(p50(bareCounts)), ratio: times(p50(counts) / p50(bareCounts)), bar: '≤ 1 ms', verdict: verdict(p50(counts) <= 1) },
      { figure: `check_users, p50 of ${CHECK_USERS_CALLS} (${mb(ourList.length)})`, safekeep: ms(p50(lists)), baseline: ms(p50(bareLists)), ratio: times(p50(lists) / p50(bareLists)), bar: '≤ 1.5×', verdict: verdict(p50(lists) <= 1.5 * p50(bareLists)) },
      { figure: `RSS after check_users + ${store.loginUsers.length} logins`, safekeep: mb(rss), baseline: `${mb(started.emptyRss)} empty`, ratio: times(rss / started.emptyRss), bar: '≤ 300 MB', verdict: verdict(rss <= 300e6) },
      { figure: `start-up to listening, median of ${STARTS}`, safekeep: ms(started.store), baseline: `${ms(started.empty)} empty`, ratio: times(started.store / started.empty), bar: '≤ 2×', verdict: verdict(started.store <= 2 * started.empty) },
    ];
    printTable(store, rows);
    console.log(`  (${store.loginUsers.length} logins took ${(logins.ms / 1_000).toFixed(1)} s; baselines: append + fdatasync of ${store.entryRecordBytes} B, ${WRITERS} writers' group commit on one fd, a bare node:net server holding the names)`);
    await safekeep.process.stop();
    safekeep = null;

    if (args['cpu-prof']) await profileSeedQuestions(root, dataDir);
  } finally {
    bare?.child.kill();
    await safekeep?.process.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
