import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { pythonJsonDumps } from '../../src/protocol/python-json.ts';
import { run } from '../helpers/safekeep-process.ts';
import { settle, startSocketRig } from '../helpers/socket-rig.ts';
import { TestClient } from '../helpers/test-client.ts';

const CHECK_USERS = '{"message": "check_users"}';
const NUMBER_OF_USERS_REPLY = '{"message": "return_number_of_users", "number_of_users": 0}\n';

const seedReply = (users: readonly { username: string }[]) => `${pythonJsonDumps({ message: 'return_check_users', users })}\n`;

/** `count` users with names of escapes, non-ASCII and emoji, each unique. */
function manyUsers(count: number, padding = 0): { username: string }[] {
  const flavours = ['plain', 'say "hi"', 'back\\slash', 'zoë', '日本', '😀', 'tab\t'];
  return Array.from({ length: count }, (_, index) => ({ username: `${flavours[index % flavours.length]}-${'x'.repeat(padding)}${index}` }));
}

/** `users` behind a proxy that tells how far into the list anything has read. */
function watchedList(users: { username: string }[]) {
  const watch = { read: 0 };
  const list = new Proxy(users, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) watch.read = Math.max(watch.read, Number(key) + 1);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { list, watch };
}

/** A seed-style Python client on the request's own connection: sends, shuts its writing side, reads to the end, checks its own json.dumps agrees. */
const PYTHON_CLIENT = `
import json, socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(json.dumps({"message": "check_users"}).encode())
s.shutdown(socket.SHUT_WR)
data = b''
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
line = data.decode('ascii')
assert line.endswith('\\n'), 'no line end'
assert json.dumps(json.loads(line)) == line[:-1], 'not what json.dumps writes'
sys.stdout.write(line)
`;

describe('check_users streamed over a real socket', () => {
  it('gives a client 100,000 names byte for byte, and the reply to the request behind it after', async () => {
    const users = manyUsers(100_000);
    const rig = await startSocketRig({}, { users });
    const sent: string[] = [];
    rig.bus.on('reply.sent', ({ requestId, delivered }) => void sent.push(`${requestId}:${delivered}`));
    const client = await TestClient.connect(rig.port);
    client.send(`${CHECK_USERS}{"message": "number_of_users"}`);
    const [list, count] = await client.lines(2);
    assert.equal(`${list}\n`, seedReply(users));
    assert.equal(`${count}\n`, NUMBER_OF_USERS_REPLY);
    await settle();
    assert.equal(sent.length, 2);
    assert.ok(sent.every((entry) => entry.endsWith(':true')));
    assert.ok(sent[0]! < sent[1]!, `reply.sent in request order: ${sent.join(', ')}`);
    client.destroy();
    await rig.stop();
  });

  it('gives the seed’s Python client awkward names exactly as Python’s json.dumps writes them', async () => {
    const users = ['ann', '', 'say "hi"', 'back\\slash', 'new\nline', '\u0000\u001f', 'zoë', '日本語', '😀', '\u007f'].map((username) => ({ username }));
    const rig = await startSocketRig({}, { users });
    const { code, stdout, stderr } = await run('python3', ['-c', PYTHON_CLIENT, String(rig.port)]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, seedReply(users));
    await rig.stop();
  });

  it('writes a client that never reads only what the socket buffers take, serves others meanwhile, and lets it go as idle', async () => {
    // About 10 MB of reply: far more than the kernel's socket buffers hold on loopback.
    const { list, watch } = watchedList(manyUsers(200_000, 32));
    const rig = await startSocketRig({ idleTimeoutMs: 60_000 }, { users: list });
    const sent: { connectionId: string; delivered: boolean }[] = [];
    rig.bus.on('reply.sent', (event) => void sent.push(event));
    const hog = net.connect({ port: rig.port, host: '127.0.0.1' });
    hog.on('error', () => undefined);
    hog.pause();
    await new Promise<void>((resolve) => hog.once('connect', () => resolve()));
    const connectionId = await rig.connectionIdOf(hog.localPort);
    const closed = rig.next('connection.closed', (event) => event.connectionId === connectionId);
    hog.write(`${CHECK_USERS}{"message": "number_of_users"}`);
    await settle(200);

    assert.equal(sent.length, 0, 'neither reply is sent while the client reads nothing');
    assert.ok(watch.read > 0, 'the list began');
    assert.ok(watch.read < 200_000 / 2, `${watch.read} of 200000 names rendered for a client that reads nothing`);

    const ordinary = await TestClient.connect(rig.port);
    ordinary.send('{"message": "number_of_users"}');
    assert.deepEqual(await ordinary.lines(1), [NUMBER_OF_USERS_REPLY.trimEnd()]);
    ordinary.destroy();

    rig.clock.advance(60_000);
    rig.clock.advance(5_000);
    assert.equal((await closed).reason, 'idle');
    await settle();
    const hogReplies = sent.filter((event) => event.connectionId === connectionId);
    assert.deepEqual(hogReplies.map((event) => event.delivered), [false, false], 'the list and the reply behind it were never delivered');
    hog.destroy();
    await rig.stop();
  });
});
