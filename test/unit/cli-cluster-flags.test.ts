import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterFlags } from '../../src/cli/cluster-flags.ts';
import { natsServerList } from '../../src/cluster/nats-server-urls.ts';
import { resolveClusterOptions } from '../../src/cluster/cluster-options.ts';

const serversOf = (urls: string) => {
  const flags = clusterFlags({ cluster: urls });
  return typeof flags === 'string' ? flags : flags.cluster?.servers;
};

describe('--cluster server URLs', () => {
  it('takes plain servers, and servers with a user and password or a token', () => {
    assert.deepEqual(serversOf('nats://127.0.0.1:4222, tls://nats.example.com'), ['nats://127.0.0.1:4222', 'tls://nats.example.com']);
    assert.deepEqual(serversOf('nats://app:s3cret@127.0.0.1:4222,nats://127.0.0.1:4223'), ['nats://app:s3cret@127.0.0.1:4222', 'nats://127.0.0.1:4223']);
    assert.deepEqual(serversOf('nats://t0ken@127.0.0.1:4222'), ['nats://t0ken@127.0.0.1:4222']);
  });

  it('says which server is wrong and never echoes the text (it may hold a password)', () => {
    for (const [urls, position, why] of [
      ['nats://127.0.0.1:4222,http://app:hunter2@h:1', 2, /not nats:\/\/ or tls:\/\//],
      ['nats://app:hunter2@h:99999', 1, /not a URL/],
      ['nats://app:hunter2@h:4222/path', 1, /more than a host and port/],
      ['nats://:hunter2@h:4222', 1, /password without a user/],
      ['nats://app:hunter2@h:4222,nats://app:pa55word@h2:4222', 2, /credentials other than/],
      ['hunter2', 1, /not a URL/],
    ] as const) {
      const message = clusterFlags({ cluster: urls });
      assert.equal(typeof message, 'string', urls);
      assert.match(message as string, new RegExp(`server ${position} of \\d+ is wrong`), urls);
      assert.match(message as string, why, urls);
      assert.doesNotMatch(message as string, /hunter2|pa55word/, urls);
    }
    assert.match(clusterFlags({ cluster: ' , ' }) as string, /names no NATS server/);
  });

  it('an embedder gets the same check, without the URL in the error', () => {
    assert.throws(
      () => resolveClusterOptions({ servers: ['nats://127.0.0.1:4222', 'nats://app:hunter2@h/x'] }, 'host'),
      (error: Error & { code?: string }) => error.code === 'INVALID_OPTIONS' && /server 2 of 2/.test(error.message) && !error.message.includes('hunter2'),
    );
  });
});

describe('natsServerList', () => {
  it('splits the credentials off the URLs (the NATS client ignores them there), percent-decoded', () => {
    assert.deepEqual(natsServerList(['nats://app:s%40cret@10.0.0.1:4222', 'tls://[::1]:4222/']), {
      servers: ['nats://10.0.0.1:4222', 'tls://[::1]:4222'],
      user: 'app',
      pass: 's@cret',
    });
    assert.deepEqual(natsServerList(['nats://10.0.0.1', 'nats://tok@10.0.0.2:4222', 'nats://tok@10.0.0.3:4222']), {
      servers: ['nats://10.0.0.1', 'nats://10.0.0.2:4222', 'nats://10.0.0.3:4222'],
      token: 'tok',
    });
    assert.deepEqual(natsServerList(['nats://127.0.0.1:4222']), { servers: ['nats://127.0.0.1:4222'] });
  });
});
