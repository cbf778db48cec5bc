import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { JsonClient } from '../helpers/json-client.ts';
import { natsServerOr, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.ts';
import { spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const WRITES = 5_000;
/** Writers in parallel: each its own user and connection, half of them on each node. */
const WRITERS = 4;

interface StreamDetail {
  readonly name: string;
  readonly state: { readonly messages: number; readonly last_seq: number };
  readonly cluster?: { readonly leader?: string };
}

async function streamOn(nats: NatsCluster, i: number, stream: string): Promise<StreamDetail | undefined> {
  const jsz = (await nats.jsz(i)) as { account_details?: { stream_detail?: StreamDetail[] }[] };
  return (jsz.account_details ?? []).flatMap((account) => account.stream_detail ?? []).find((detail) => detail.name === stream);
}

async function eventually(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the book in a cluster when a NATS server dies', () => {
  const nodes: SafekeepProcess[] = [];
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
  });

  it('keeps every acknowledged one of 5,000 entry writes over two nodes through a kill -9 of a NATS server', async (t) => {
    if (!natsServerOr(t)) return;
    const nats = await startNatsCluster({ label: 'cluster-book' });
    const root = await tempDir('cluster-book');
    const start = (name: string) => {
      const node = spawnSafekeep(['--port', '0', '--data-dir', path.join(root, name), '--cluster', nats.urls.join(','), '--node-name', name, '--replicas', '3'], root);
      nodes.push(node);
      return node;
    };
    const a = start('a');
    const portA = await a.port();
    // Nodes of one cluster share the service key (the book's inbox and device tokens are sealed with it).
    await mkdir(path.join(root, 'b', 'keys'), { recursive: true, mode: 0o700 });
    await chmod(path.join(root, 'b'), 0o700);
    await copyFile(path.join(root, 'a', 'keys', 'service.key'), path.join(root, 'b', 'keys', 'service.key'));
    await chmod(path.join(root, 'b', 'keys', 'service.key'), 0o600);
    const b = start('b');
    const portB = await b.port();
    const ports = [portA, portB];

    const master = 'correct horse battery staple 14';
    const setup = await JsonClient.connect(portA);
    for (let w = 0; w < WRITERS; w++) await setup.ok({ type: 'user.register', username: `writer${w}`, masterPassword: master });
    setup.close();

    const acked = new Map<number, string[]>();
    const refused: { writer: number; name: string; code: string; message: string }[] = [];
    let done = 0;
    let killed: Promise<void> | null = null;
    const stream = 'KV_safekeep-store';
    const leaderName = (await streamOn(nats, 0, stream))?.cluster?.leader;
    const victim = Math.max(0, nats.servers.findIndex((server) => server.name === leaderName));
    const startedAt = Date.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        // Writer w writes through node w % 2, reads back through the other.
        const client = await JsonClient.connect(ports[w % 2] as number);
        const { token } = await client.ok({ type: 'session.login', username: `writer${w}`, masterPassword: master });
        const mine: string[] = [];
        acked.set(w, mine);
        for (let i = 0; i < WRITES / WRITERS; i++) {
          if (++done === WRITES / 2) killed = nats.kill(victim); // kill -9 the stream leader midway
          const name = `e${w}-${i}`;
          const reply = await client.call({ type: 'entry.add', token, name, password: `pw-${name}` });
          if (reply['ok']) mine.push(name);
          else refused.push({ writer: w, name, code: reply['error']?.code, message: reply['error']?.message });
        }
        client.close();
      }),
    );
    const writeMs = Date.now() - startedAt;
    await killed;
    const ackedCount = [...acked.values()].reduce((sum, names) => sum + names.length, 0);
    t.diagnostic(`${WRITES} entry writes in ${writeMs} ms, killed ${nats.servers[victim]?.name} (stream leader ${leaderName}) midway: ${ackedCount} acknowledged, ${refused.length} refused`);
    for (const refusal of refused) t.diagnostic(`refused: ${JSON.stringify(refusal)}`);
    for (const refusal of refused) {
      assert.match(refusal.code, /^(STORE_WRITE_FAILED|STORE_UNAVAILABLE|REQUEST_TIMEOUT)$/, JSON.stringify(refusal));
      assert.ok(refusal.message.length > 10, `a clear message: ${JSON.stringify(refusal)}`);
    }
    assert.equal(ackedCount + refused.length, WRITES);

    await nats.restart(victim);
    await nats.ready();

    // Every acknowledged write, read through the other node.
    for (let w = 0; w < WRITERS; w++) {
      const client = await JsonClient.connect(ports[(w + 1) % 2] as number);
      const { token } = await client.ok({ type: 'session.login', username: `writer${w}`, masterPassword: master });
      const listed = new Set(((await client.ok({ type: 'entry.list', token })).entries as { name: string }[]).map((entry) => entry.name));
      const mine = acked.get(w) ?? [];
      const lost = mine.filter((name) => !listed.has(name));
      assert.deepEqual(lost, [], `writer ${w}: ${lost.length} acknowledged entries lost`);
      // And their passwords, for a sample across the run (the first, around the kill, the last).
      const sample = [...mine.slice(0, 5), ...mine.slice(Math.floor(mine.length / 2) - 5, Math.floor(mine.length / 2) + 5), ...mine.slice(-5)];
      for (const name of sample) assert.equal((await client.ok({ type: 'entry.get', token, name })).password, `pw-${name}`, name);
      client.close();
    }

    // The restarted server caught up: its replica of the store holds what the others hold.
    const other = (victim + 1) % 3;
    await eventually(async () => {
      const [restarted, live] = await Promise.all([streamOn(nats, victim, stream), streamOn(nats, other, stream)]);
      return restarted !== undefined && live !== undefined && restarted.state.last_seq === live.state.last_seq && restarted.state.messages === live.state.messages;
    }, 'the restarted NATS server to catch up');
  });
});
