import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient } from '../helpers/test-client.ts';
import { settle, startSocketRig } from '../helpers/socket-rig.ts';

const SECOND = 1_000;

describe('a request must arrive whole within the request deadline (10 s) of its first byte', () => {
  it('answers a JSON client trickling one byte a second with REQUEST_TOO_SLOW and closes it', async () => {
    const rig = await startSocketRig();
    const client = await TestClient.connect(rig.port);
    const closed = rig.next('connection.closed');
    for (const byte of '{"message": "number_of_users"}') {
      client.send(byte);
      await settle();
      rig.clock.advance(SECOND);
      if (client.isClosed) break;
    }
    const reply = JSON.parse(await client.rest());
    assert.equal(reply.error.code, 'REQUEST_TOO_SLOW');
    assert.equal((await closed).reason, 'too-slow');
    await rig.stop();
  });

  it('answers a text client trickling a long line (a bare word is complete at once) with REQUEST_TOO_SLOW', async () => {
    const rig = await startSocketRig();
    const client = await TestClient.connect(rig.port);
    client.send('x'.repeat(5_000));
    for (let i = 0; i < 40 && !client.isClosed; i++) {
      await settle();
      rig.clock.advance(SECOND / 2);
      client.send('x');
    }
    assert.equal(await client.rest(), 'Error (REQUEST_TOO_SLOW): The request did not arrive whole in time; closing the connection.\n');
    await rig.stop();
  });

  it('answers the complete requests before the slow one first, in order, in the JSON dialect too', async () => {
    const rig = await startSocketRig();
    const client = await TestClient.connect(rig.port);
    client.send('{"message": "number_of_users"} {"message": "number');
    const [first] = (await client.lines(1)).map((line) => JSON.parse(line));
    assert.deepEqual(first, { message: 'return_number_of_users', number_of_users: 0 });
    rig.clock.advance(10 * SECOND);
    const [slow] = (await client.lines(1)).map((line) => JSON.parse(line));
    assert.equal(slow.message, 'Invalid message!');
    assert.equal(slow.error.code, 'REQUEST_TOO_SLOW');
    await client.closed;
    await rig.stop();
  });

  it('gives each request its own deadline: a steady pipeline whose reads end mid-request is never cut', async () => {
    const rig = await startSocketRig();
    const client = await TestClient.connect(rig.port);
    const request = '{"message": "number_of_users"}';
    const cut = 12;
    client.send(request.slice(0, cut));
    for (let i = 0; i < 4; i++) {
      await settle();
      rig.clock.advance(6 * SECOND);
      client.send(`${request.slice(cut)}${request.slice(0, cut)}`);
    }
    const replies = (await client.lines(4)).map((line) => JSON.parse(line));
    assert.deepEqual(replies, Array(4).fill({ message: 'return_number_of_users', number_of_users: 0 }));
    assert.equal(client.isClosed, false);
    client.destroy();
    await rig.stop();
  });
});

describe('the idle timeout counts from the last complete request or reply', () => {
  // Regression: every byte restarted the idle timer, so a byte a second kept a connection forever.
  it('closes a client that sends only blank lines, one a second, after the idle timeout', async () => {
    const rig = await startSocketRig({ idleTimeoutMs: 30 * SECOND });
    const client = await TestClient.connect(rig.port);
    const closed = rig.next('connection.closed');
    for (let second = 0; second < 40 && !client.isClosed; second++) {
      client.send('\n');
      await settle();
      rig.clock.advance(SECOND);
    }
    assert.equal((await closed).reason, 'idle');
    await client.closed;
    await rig.stop();
  });

  it('keeps a client that asks something now and then, and closes it one idle timeout after its last reply', async () => {
    const rig = await startSocketRig({ idleTimeoutMs: 30 * SECOND });
    const client = await TestClient.connect(rig.port);
    for (let i = 0; i < 3; i++) {
      rig.clock.advance(29 * SECOND);
      client.send('revert\n');
      assert.deepEqual(await client.lines(1), ['No backup found.']);
    }
    rig.clock.advance(29 * SECOND);
    assert.equal(client.isClosed, false);
    rig.clock.advance(SECOND);
    await client.closed;
    await rig.stop();
  });

  it('does not close a client waiting for a long answer', async () => {
    const rig = await startSocketRig({ idleTimeoutMs: 30 * SECOND }, { hold: true });
    const client = await TestClient.connect(rig.port);
    client.send('revert\n');
    await rig.next('requests.received');
    rig.clock.advance(120 * SECOND);
    assert.equal(client.isClosed, false);
    rig.release();
    assert.deepEqual(await client.lines(1), ['No backup found.']);
    client.destroy();
    await rig.stop();
  });
});
