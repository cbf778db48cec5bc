import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/free-port.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { NATS_SERVER, natsServerOr, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.ts';
import { run, SafekeepProcess } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const BOOK_CLIENT = fileURLToPath(new URL('./clients/seed_book_client.py', import.meta.url));
const BACKUP_CLIENT = fileURLToPath(new URL('./clients/seed_backup_client.py', import.meta.url));

interface Node {
  readonly name: string;
  readonly dataDir: string;
  readonly replyPort: number;
  process: SafekeepProcess;
  port: number;
}

/**
 * The issue's first cluster promise, with every part real: three nats-server
 * processes, three safekeep processes (nodes a, b, c) and the seeds' own
 * Python clients. What a client does on node a is what a client on node c sees.
 */
describe('seed clients on a three-node safekeep cluster', () => {
  let nats: NatsCluster | null = null;
  let root: string;
  const nodes = new Map<string, Node>();
  const node = (name: string) => nodes.get(name) as Node;
  const bookClient = async (at: Node, message: object) => {
    const { code, stdout, stderr } = await run('python3', [BOOK_CLIENT, String(at.port), String(at.replyPort), JSON.stringify(message)]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout) as unknown;
  };
  const backupClient = async (at: Node, word: string) => {
    const { code, stdout, stderr } = await run('python3', [BACKUP_CLIENT, String(at.port), word]);
    assert.equal(code, 0, stderr);
    return stdout;
  };

  const start = async (name: string, extra: readonly string[]) => {
    const dataDir = path.join(root, name, 'data');
    const replyPort = await freePort();
    const args = ['--cluster', (nats as NatsCluster).urls.join(','), '--node-name', name, '--port', '0', '--data-dir', dataDir, '--reply-to', `127.0.0.1:${replyPort}`, '--version-store', 'nats', ...extra];
    const child = new SafekeepProcess(args, path.join(root, name));
    const started: Node = { name, dataDir, replyPort, process: child, port: await child.port() };
    nodes.set(name, started);
    return started;
  };

  before(async () => {
    // Without nats-server each test says so (and fails under CI) through natsServerOr.
    if (NATS_SERVER === null) return;
    nats = await startNatsCluster();
    root = await tempDir('cluster-seeds');
    for (const name of ['a', 'b', 'c']) await mkdir(path.join(root, name), { recursive: true });
    await writeFile(path.join(root, 'a', 'notes.json'), '{"todo": ["write tests"]}');
    const a = await start('a', ['--source', 'notes.json', '--interval', '1h']);
    await a.process.waitFor('stderr', /\[notes\.json\.a\] done/);
    // Every node of a cluster holds the same service key (README "Cluster"): copied from the first, as an operator would.
    for (const name of ['b', 'c']) {
      const keys = path.join(root, name, 'data', 'keys');
      await mkdir(keys, { recursive: true, mode: 0o700 });
      await copyFile(path.join(a.dataDir, 'keys', 'service.key'), path.join(keys, 'service.key'));
      await chmod(path.join(keys, 'service.key'), 0o600);
    }
    await start('b', []);
    await start('c', []);
  });

  after(async () => {
    await Promise.all([...nodes.values()].map((each) => each.process.stop()));
  });

  it('saves passwords and users on a, and c sees the same users', async (t) => {
    if (!natsServerOr(t)) return;
    assert.deepEqual(await bookClient(node('a'), { message: 'save_password', password: 'generated-9f8e7d' }), { message: 'Password saved!' });
    const modern = await JsonClient.connect(node('a').port);
    await modern.ok({ type: 'user.register', username: 'ann', masterPassword: 'correct horse battery' });
    await modern.ok({ type: 'user.register', username: 'bob', masterPassword: 'tr0ub4dor and more' });
    modern.close();
    assert.deepEqual(await bookClient(node('c'), { message: 'number_of_users' }), { message: 'return_number_of_users', number_of_users: 2 });
    assert.deepEqual(await bookClient(node('c'), { message: 'check_users' }), { message: 'return_check_users', users: [{ username: 'ann' }, { username: 'bob' }] });
    assert.deepEqual(await bookClient(node('b'), { message: 'number_of_users' }), { message: 'return_number_of_users', number_of_users: 2 });
  });

  it('files on c, into a user book, the password the seed client saved on a', async (t) => {
    if (!natsServerOr(t)) return;
    const onC = await JsonClient.connect(node('c').port);
    const { token } = (await onC.ok({ type: 'session.login', username: 'ann', masterPassword: 'correct horse battery' })) as { token: string };
    const { pending } = (await onC.ok({ type: 'pending.list', token })) as { pending: { pendingId: string }[] };
    assert.equal(pending.length, 1);
    await onC.ok({ type: 'pending.file', token, pendingId: pending[0]?.pendingId, name: 'from the generator' });
    const entry = (await onC.ok({ type: 'entry.get', token, name: 'from the generator' })) as { password: string };
    assert.equal(entry.password, 'generated-9f8e7d');
    onC.close();
  });

  it('backs up on a, and revert on c answers a readable local copy of that version', async (t) => {
    if (!natsServerOr(t)) return;
    await writeFile(path.join(root, 'a', 'notes.json'), '{"todo": ["ship the cluster"]}');
    assert.equal(await backupClient(node('a'), 'backup'), 'Backup completed');
    const onA = await backupClient(node('a'), 'revert');
    assert.ok(onA.startsWith(path.join(node('a').dataDir, 'backups') + path.sep), onA);
    const onC = await backupClient(node('c'), 'revert');
    assert.ok(path.isAbsolute(onC), `not an absolute path: ${JSON.stringify(onC)}`);
    assert.ok(onC.startsWith(node('c').dataDir + path.sep), `not in c's own data directory: ${onC}`);
    assert.equal(await readFile(onC, 'utf8'), '{"todo": ["ship the cluster"]}');
    assert.equal(path.basename(onC), path.basename(onA));
  });

  it('runs a backup of a’s job when a client asks c for one', async (t) => {
    if (!natsServerOr(t)) return;
    await writeFile(path.join(root, 'a', 'notes.json'), '{"todo": ["asked on c"]}');
    assert.equal(await backupClient(node('c'), 'backup'), 'Backup completed');
    assert.equal(await readFile(await backupClient(node('c'), 'revert'), 'utf8'), '{"todo": ["asked on c"]}');
  });
});
