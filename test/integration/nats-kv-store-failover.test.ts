import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { natsServerOr, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.ts';
import { openNatsStore } from '../helpers/open-nats-store.ts';

async function eventually(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface StreamDetail {
  readonly name: string;
  readonly state: { readonly messages: number; readonly last_seq: number };
  readonly cluster?: { readonly leader?: string };
}

/** The store stream's details as server `i` reports them (/jsz). */
async function streamOn(nats: NatsCluster, i: number, stream: string): Promise<StreamDetail | undefined> {
  const jsz = (await nats.jsz(i)) as { account_details?: { stream_detail?: StreamDetail[] }[] };
  return (jsz.account_details ?? []).flatMap((account) => account.stream_detail ?? []).find((detail) => detail.name === stream);
}

describe('the NATS KV store when a NATS server fails', () => {
  it('loses no acknowledged write when the stream leader is killed mid-stream, and the restarted server catches up', async (t) => {
    if (!natsServerOr(t)) return;
    const nats = await startNatsCluster({ label: 'nats-kv-failover' });
    const writer = await openNatsStore(nats.urls, 'w');
    const stream = 'KV_safekeep-store';
    const leaderName = (await streamOn(nats, 0, stream))?.cluster?.leader;
    const leader = nats.servers.findIndex((server) => server.name === leaderName);
    assert.ok(leader >= 0, `the stream leader (${leaderName}) is one of the servers`);

    // Regression: a node whose link (and so its watch) was on the killed server; the watch died with it and the mirror stalled.
    const onVictim = await openNatsStore([nats.urls[leader] as string], 'v');

    const acked: string[] = [];
    const failed: { key: string; code: string; message: string }[] = [];
    const total = 1500;
    let killedAt = -1;
    for (let i = 0; i < total; i++) {
      if (i === 300) {
        killedAt = Date.now();
        await nats.kill(leader);
      }
      const key = `k${i}`;
      try {
        // Every 10th write a batch of two (a book entry's shape), the rest single puts.
        if (i % 10 === 0) {
          await writer.client.batch([
            { op: 'put', collection: 'entries', key, value: { i, pad: 'x'.repeat(300) } },
            { op: 'put', collection: 'index', key, value: i },
          ]);
        } else await writer.client.put('entries', key, { i, pad: 'x'.repeat(300) });
        acked.push(key);
      } catch (error) {
        const { code = '', message } = error as Error & { code?: string };
        failed.push({ key, code, message });
        // Refused at once while the writer's own server is gone: a client would wait for the link, as this one does.
        if (code === 'STORE_UNAVAILABLE') await eventually(() => writer.link.connected, 'the writer to reconnect');
      }
    }
    const outageMs = Date.now() - killedAt;
    t.diagnostic(`acked ${acked.length}/${total}, failed ${failed.length} ${JSON.stringify(failed.slice(0, 5))}; writes after the kill took ${outageMs} ms`);
    for (const failure of failed) assert.match(failure.code, /^STORE_(WRITE_FAILED|UNAVAILABLE)$/);
    assert.ok(acked.length >= total - 10, `writes resumed after the kill: ${acked.length} of ${total} acknowledged`);
    assert.ok(acked.includes(`k${total - 1}`), 'the last write was acknowledged');

    // Its watch died with the server; the one made again skips the batch records materialised meanwhile, and still must not miss their writes.
    try {
      const seenByVictimsNode = await onVictim.client.list<{ i: number }>('entries');
      assert.deepEqual(acked.filter((key) => seenByVictimsNode[key]?.i !== Number(key.slice(1))), [], 'the node that was on the killed server reads every acknowledged write');
      const indexOnVictimsNode = await onVictim.client.list<number>('index');
      assert.deepEqual(acked.filter((key) => Number(key.slice(1)) % 10 === 0 && indexOnVictimsNode[key] !== Number(key.slice(1))), [], 'and every batch whole');
    } finally {
      await onVictim.close();
    }

    await nats.restart(leader);
    await nats.ready();
    await writer.store.materialised();
    await writer.close();
    // A fresh node connected only to the restarted server reads every acknowledged write.
    const reader = await openNatsStore([nats.urls[leader] as string], 'r', { learnServers: false });
    const entries = await reader.client.list<{ i: number }>('entries');
    const lost = acked.filter((key) => entries[key]?.i !== Number(key.slice(1)));
    assert.deepEqual(lost, [], `${lost.length} acknowledged writes lost`);
    const index = await reader.client.list<number>('index');
    for (const key of acked.filter((key) => Number(key.slice(1)) % 10 === 0)) assert.equal(index[key], Number(key.slice(1)), `batch ${key} whole`);
    await reader.close();
    // The restarted server's replica holds what the others hold.
    const others = [0, 1, 2].filter((i) => i !== leader);
    await eventually(async () => {
      const [restarted, other] = await Promise.all([streamOn(nats, leader, stream), streamOn(nats, others[0] as number, stream)]);
      return restarted !== undefined && other !== undefined && restarted.state.last_seq === other.state.last_seq && restarted.state.messages === other.state.messages;
    }, 'the restarted server to catch up');
  });

  it('refuses writes at once while its only server is down, and works again, current, once it is back', async (t) => {
    if (!natsServerOr(t)) return;
    const nats = await startNatsCluster({ label: 'nats-kv-lost' });
    const lonely = await openNatsStore([nats.urls[2] as string], 'lonely', { learnServers: false });
    const other = await openNatsStore([nats.urls[0] as string], 'other');
    await lonely.client.put('things', 'before', 1);
    await nats.kill(2);
    await eventually(() => lonely.links.includes('disconnected'), 'the link to drop');
    const started = Date.now();
    await assert.rejects(lonely.client.put('things', 'during', 2), {
      code: 'STORE_UNAVAILABLE',
      message: 'this node has lost its connection to the cluster; nothing was written',
    });
    await assert.rejects(
      lonely.client.batch([
        { op: 'put', collection: 'things', key: 'x', value: 1 },
        { op: 'put', collection: 'things', key: 'y', value: 1 },
      ]),
      { code: 'STORE_UNAVAILABLE' },
    );
    await assert.rejects(lonely.client.get('things', 'before'), { code: 'STORE_UNAVAILABLE', message: /nothing was read/ });
    assert.ok(Date.now() - started < 500, `refused at once (${Date.now() - started} ms)`);
    // The rest of the cluster goes on meanwhile (once a new stream leader is elected, if the killed server led the stream).
    await eventually(async () => {
      try {
        await other.client.put('things', 'meanwhile', 3);
        return true;
      } catch {
        return false;
      }
    }, 'the rest of the cluster to take writes', 30_000);

    await nats.restart(2);
    await eventually(() => lonely.links.includes('reconnected'), 'the link to return');
    await eventually(async () => {
      try {
        await lonely.client.put('things', 'after', 4);
        return true;
      } catch {
        return false;
      }
    }, 'writes to work again');
    assert.deepEqual(await lonely.client.list('things'), { before: 1, meanwhile: 3, after: 4 });
    assert.equal(await other.client.get('things', 'during'), undefined, 'the refused write was not stored');
    await lonely.close();
    await other.close();
  });
});
