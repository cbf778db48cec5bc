import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startHost } from '../../src/host/start-host.ts';
import { natsServerOr, startNatsCluster } from '../helpers/nats-cluster.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('a host in a NATS cluster', () => {
  it('connects to a 3-server cluster and says so on the bus', async (t) => {
    if (!natsServerOr(t)) return;
    const nats = await startNatsCluster();
    const dataDir = await tempDir('cluster-skeleton');
    const links: string[] = [];
    const host = await startHost({ dataDir, socket: false, cluster: { servers: nats.urls, nodeName: 'a', store: 'lowdb' }, adapters: [] });
    host.bus.on$('cluster.link').subscribe((link) => links.push(link.state));
    await nats.kill(0);
    await nats.kill(1);
    await nats.kill(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await nats.restart(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await host.stop();
    assert.ok(links.includes('disconnected'), links.join());
    assert.ok(links.includes('reconnected'), links.join());
  });
});
