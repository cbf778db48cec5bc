import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NatsLink } from '../../adapters/nats/nats-link.ts';
import { NodeRegistry } from '../../adapters/nats/node-registry.ts';
import { Bus } from '../../src/bus/bus.ts';
import { systemClock } from '../../src/clock/clock.ts';
import { keyCheckOf } from '../../src/cluster/key-check.ts';
import { natsServerOr, startNatsCluster } from '../helpers/nats-cluster.ts';

const introduction = (key: string) => ({ startedAt: 0, version: 'test', keyCheck: keyCheckOf(Buffer.from(key)), listening: () => null, jobs: () => [] });

describe('joining the node registry', () => {
  it('refuses with STORE_UNAVAILABLE when the first record cannot be written, after a few tries', async (t) => {
    if (!natsServerOr(t)) return;
    const nats = await startNatsCluster({ servers: 1 });
    const bus = new Bus();
    const link = new NatsLink({ servers: nats.urls, nodeName: 'a', learnServers: false });
    await link.open(bus);
    const registry = new NodeRegistry({ link, name: 'joinfail', nodeName: 'a', replicas: 1, leaseTtlMs: 10_000, clock: systemClock });
    try {
      await registry.start(bus);
      await registry.checkKey(introduction('k').keyCheck);
      await nats.kill(0);
      const started = Date.now();
      await assert.rejects(registry.join(introduction('k')), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORE_UNAVAILABLE');
        assert.match(error.message, /could not write its record .* in 5 tries/);
        return true;
      });
      assert.ok(Date.now() - started < 30_000, `gave up after ${Date.now() - started} ms`);
    } finally {
      await registry.stop();
      await link.close();
    }
  });

  it('checks the key before the join, and joins once the record is written', async (t) => {
    if (!natsServerOr(t)) return;
    const nats = await startNatsCluster({ servers: 1 });
    const bus = new Bus();
    const links = [new NatsLink({ servers: nats.urls, nodeName: 'a' }), new NatsLink({ servers: nats.urls, nodeName: 'b' })];
    const registries = links.map((link, i) => new NodeRegistry({ link, name: 'joinok', nodeName: i === 0 ? 'a' : 'b', replicas: 1, leaseTtlMs: 10_000, clock: systemClock }));
    try {
      for (const [i, link] of links.entries()) {
        await link.open(bus);
        await registries[i]?.start(new Bus());
      }
      await registries[0]?.checkKey(introduction('k').keyCheck);
      await registries[0]?.join(introduction('k'));
      await registries[1]?.checkKey(introduction('k').keyCheck);
      await assert.rejects(registries[1]?.checkKey(introduction('other').keyCheck) as Promise<void>, (error: Error & { code?: string }) => error.code === 'CLUSTER_KEY_MISMATCH');
    } finally {
      for (const registry of registries) await registry.stop();
      for (const link of links) await link.close();
    }
  });
});
