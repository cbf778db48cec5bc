import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Secret } from '../../src/secret/secret.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';

describe('replies to unauthenticated clients', () => {
  it('never contain the data directory path, even when every book shard is damaged; the log has it', async () => {
    const dataDir = await tempDir('no-paths');
    const first = await startTestHost(dataDir);
    await first.host.request('user.register', { username: 'ann', masterPassword: new Secret('correct horse battery staple') });
    await first.host.stop('test');
    const usersDir = path.join(dataDir, 'store', 'book.users');
    for (const name of await readdir(usersDir)) if (name.startsWith('shard-')) await writeFile(path.join(usersDir, name), '{"format":"safekeep.shard","documents":');

    const log = new PassThrough({ encoding: 'utf8' });
    let logged = '';
    log.on('data', (text: string) => (logged += text));
    const { host } = await startTestHost(dataDir, { socket: { host: '127.0.0.1', port: 0 }, console: { out: log, verbose: false } });
    try {
      const port = host.address!.port;
      const json = await JsonClient.connect(port);
      const replies: string[] = [];
      for (const message of [
        { type: 'user.register', username: 'bob', masterPassword: 'another long master password' },
        { type: 'session.login', username: 'ann', masterPassword: 'correct horse battery staple' },
        { type: 'users.list' },
        { type: 'users.count' },
        { message: 'check_users' },
        { message: 'number_of_users' },
        { message: 'save_password', password: 'p4ssw0rd-x' },
      ]) {
        await json.call(message);
      }
      replies.push(...json.transcript);
      json.close();
      const text = await TestClient.connect(port);
      text.send('revert\nbackup\nnonsense\n');
      replies.push(...(await text.lines(3)));
      text.destroy();

      assert.ok(replies.some((reply) => reply.includes('STORE_CORRUPT')), `the damage was met: ${replies.join('\n')}`);
      for (const dir of new Set([dataDir, await realpath(dataDir)])) {
        const leaking = replies.filter((reply) => reply.includes(dir));
        assert.deepEqual(leaking, [], 'a reply named the server path');
      }
      assert.ok(replies.some((reply) => /book\.users shard [0-9a-f]{3}/.test(reply)));
      assert.match(logged, new RegExp(`store: failed \\(STORE_CORRUPT\\): book\\.users shard [0-9a-f]{3} .*\\[${usersDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    } finally {
      await host.stop('test');
    }
  });
});
