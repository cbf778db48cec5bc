import { freePort } from '../helpers/free-port.ts';
import { spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';
import type { ChaosRow } from './chaos-row.ts';
import { LineClient } from './line-client.ts';
import { scratchDir } from './scratch-dir.ts';

export interface BookWriteKillsSize {
  readonly kills: number;
  readonly writes: number;
  readonly clients: number;
  /** More command-line flags for the service (the checkpoint case makes its checkpoints constant). */
  readonly serverArgs?: readonly string[];
  /** Names the row; default 'kill -9 during book writes'. */
  readonly experiment?: string;
}

const MASTER = 'correct horse battery staple';

/**
 * `kill -9` of a real safekeep at random moments while several clients add
 * entries to their books over the socket; after every restart they log in
 * again and go on. At the end every entry whose `entry.add` was acknowledged
 * must be in its book with its password: acknowledged means durable.
 */
export async function runBookWriteKills(size: BookWriteKillsSize): Promise<ChaosRow> {
  const scratch = await scratchDir('book-writes');
  const port = await freePort();
  const args = ['--port', String(port), '--data-dir', 'data', ...(size.serverArgs ?? [])];
  const failures: string[] = [];
  let server = spawnSafekeep(args, scratch.path);
  let killing = false;
  let crashes = 0;
  let requestsSent = 0;
  const watch = (process: SafekeepProcess) =>
    void process.exited.then((exit) => {
      if (!killing) {
        crashes++;
        failures.push(`the service exited by itself (${JSON.stringify(exit)}): ${process.stderr.slice(-300)}`);
      }
    });
  watch(server);
  await server.port();

  const acked = new Map<string, string>();
  let written = 0;
  let done = false;

  const client = async (index: number): Promise<void> => {
    const username = `writer${index}`;
    let connection: LineClient | null = null;
    let token: string | null = null;
    let registered = false;
    while (!done) {
      connection ??= await LineClient.connect(port);
      if (!connection || connection.closed) {
        connection = null;
        token = null;
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      if (!registered) {
        requestsSent++;
        const reply = await connection.json({ type: 'user.register', username, masterPassword: MASTER });
        if (reply === null) continue;
        registered = reply['ok'] === true || reply['error']?.code === 'USERNAME_TAKEN';
        if (!registered) failures.push(`register ${username}: ${JSON.stringify(reply)}`);
        continue;
      }
      if (token === null) {
        requestsSent++;
        const reply = await connection.json({ type: 'session.login', username, masterPassword: MASTER });
        if (reply?.['ok'] === true) token = reply['result'].token as string;
        else if (reply !== null) failures.push(`login ${username}: ${JSON.stringify(reply)}`);
        continue;
      }
      const n = written++;
      if (n >= size.writes) break;
      const name = `${username}-${n}`;
      const password = `pw-${n}-${Math.random().toString(36).slice(2)}`;
      requestsSent++;
      const reply = await connection.json({ type: 'entry.add', token, name, password });
      if (reply?.['ok'] === true) acked.set(`${username}\0${name}`, password);
      else if (reply?.['error']?.code === 'SESSION_INVALID') token = null;
      else if (reply !== null) failures.push(`entry.add: ${JSON.stringify(reply)}`);
    }
    connection?.close();
  };

  const killer = async (): Promise<number> => {
    let kills = 0;
    for (let k = 1; k <= size.kills; k++) {
      // Spread the kills over the run, each at a random point of its share.
      const at = Math.floor(((k - 1 + Math.random()) * size.writes) / (size.kills + 1));
      while (written < at && written < size.writes) await new Promise((resolve) => setTimeout(resolve, 2));
      if (written >= size.writes) break;
      killing = true;
      server.child.kill('SIGKILL');
      await server.exited;
      kills++;
      server = spawnSafekeep(args, scratch.path);
      killing = false;
      watch(server);
      await server.port();
    }
    return kills;
  };

  const workers = Array.from({ length: size.clients }, (_, index) => client(index));
  const kills = await killer();
  await Promise.all(workers);
  done = true;

  // Every acknowledged entry, read back through a fresh login.
  let lost = 0;
  for (let index = 0; index < size.clients; index++) {
    const username = `writer${index}`;
    const connection = await LineClient.connect(port);
    const login = await connection?.json({ type: 'session.login', username, masterPassword: MASTER });
    const token = login?.['result']?.token as string | undefined;
    if (!connection || !token) {
      failures.push(`cannot log ${username} in to check: ${JSON.stringify(login)}`);
      continue;
    }
    const list = await connection.json({ type: 'entry.list', token });
    const names = new Set(((list?.['result']?.entries ?? []) as { name: string }[]).map((entry) => entry.name));
    const mine = [...acked].filter(([key]) => key.startsWith(`${username}\0`));
    for (const [key, password] of mine) {
      const name = key.slice(username.length + 1);
      if (!names.has(name)) {
        lost++;
        continue;
      }
      // Spot-check the content of a few.
      if (Math.random() < 0.05) {
        const got = await connection.json({ type: 'entry.get', token, name });
        if (got?.['result']?.password !== password) failures.push(`${name} reads back as something else`);
      }
    }
    connection.close();
  }
  killing = true;
  const exit = await server.stop('SIGTERM');
  if (exit.code !== 0) failures.push(`SIGTERM after the run: exit ${JSON.stringify(exit)}`);
  await scratch.dispose();
  return {
    experiment: `${size.experiment ?? 'kill -9 during book writes'} (${size.clients} clients)`,
    faultsInjected: kills,
    requestsSent,
    ackedWritesLost: lost,
    partialRegistered: 0,
    crashes,
    failures,
    notes: `${acked.size} writes acknowledged`,
  };
}
