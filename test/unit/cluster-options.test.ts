import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeNameOf, resolveClusterOptions } from '../../src/cluster/cluster-options.ts';

const servers = ['nats://127.0.0.1:4222'];

describe('the cluster node name', () => {
  it('defaults to the host name with every character a node name may not hold made -', () => {
    assert.equal(resolveClusterOptions({ servers }, 'db1.example.com').nodeName, 'db1-example-com');
    assert.equal(resolveClusterOptions({ servers }, 'plain_host-1').nodeName, 'plain_host-1');
    assert.equal(nodeNameOf('héllo wörld'), 'h-llo-w-rld');
  });

  it('is cut to 64 characters, and is never empty', () => {
    assert.equal(nodeNameOf('a'.repeat(70) + '.example.com'), 'a'.repeat(64));
    assert.equal(nodeNameOf(''), 'node');
  });

  it('is checked when an embedder gives one', () => {
    assert.equal(resolveClusterOptions({ servers, nodeName: 'node_a-1' }, 'ignored').nodeName, 'node_a-1');
    for (const nodeName of ['db1.example.com', '', 'a'.repeat(65), 'a b', 'a>']) {
      assert.throws(() => resolveClusterOptions({ servers, nodeName }, 'host'), (error: Error & { code?: string }) => error.code === 'INVALID_OPTIONS' && /1 to 64 letters/.test(error.message), nodeName);
    }
  });
});
