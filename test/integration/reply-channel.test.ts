import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ReplyChannelAdapter } from '../../adapters/reply-channel/reply-channel-adapter.ts';
import { Bus } from '../../src/bus/bus.ts';
import { systemClock } from '../../src/clock/clock.ts';
import { Secret } from '../../src/secret/secret.ts';
import type { ReplyReady } from '../../src/protocol/messages.ts';

const reply = (requestId: string, text: string | Secret, seedReply = true): ReplyReady => ({
  connectionId: 'c',
  requestId,
  text,
  close: false,
  ...(seedReply ? { seedReply: true } : {}),
});

/** A listener like the seed client's: takes one connection at a time and keeps what each one sent. */
async function seedListener() {
  const received: string[] = [];
  const waiting: (() => void)[] = [];
  const server = net.createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => {
      received.push(text);
      socket.end();
      waiting.splice(0).forEach((wake) => wake());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    async count(n: number) {
      while (received.length < n) await new Promise<void>((resolve) => waiting.push(resolve));
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('the seed reply channel', () => {
  it('delivers seed replies in request order as bare JSON, and nothing else', async () => {
    const listener = await seedListener();
    const bus = new Bus();
    const channel = new ReplyChannelAdapter({ host: '127.0.0.1', port: listener.port, clock: systemClock });
    await channel.start(bus);
    const forwarded: string[] = [];
    bus.on$('reply.forwarded').subscribe((event) => forwarded.push(event.requestId));
    await bus.emit('reply.ready', reply('r1', '{"message": "Password saved!"}\n'));
    await bus.emit('reply.ready', reply('r2', '{"ok":true}\n', false));
    await bus.emit('reply.ready', reply('r3', new Secret('{"message": "return_number_of_users", "number_of_users": 2}\n')));
    await listener.count(2);
    await channel.stop();
    assert.deepEqual(listener.received, ['{"message": "Password saved!"}', '{"message": "return_number_of_users", "number_of_users": 2}']);
    assert.deepEqual(forwarded, ['r1', 'r3']);
    await listener.close();
  });

  it('retries a refused connection with backoff, then gives up and says so on the bus', async () => {
    const closed = await seedListener();
    await closed.close(); // a port with nobody listening
    const bus = new Bus();
    const channel = new ReplyChannelAdapter({ host: '127.0.0.1', port: closed.port, clock: systemClock, firstDelayMs: 5, maxDelayMs: 20, giveUpAfterMs: 100 });
    await channel.start(bus);
    const failed = new Promise<{ attempts: number; reason: string }>((resolve) => bus.on$('reply.forward.failed').subscribe(resolve));
    // The system clock's timers do not hold the process open (a running server does); here nothing else would.
    const keepAlive = setInterval(() => undefined, 1_000);
    await bus.emit('reply.ready', reply('r1', '{"message": "Password saved!"}\n'));
    const { attempts, reason } = await failed;
    clearInterval(keepAlive);
    assert.ok(attempts > 2, `only ${attempts} attempts`);
    assert.match(reason, /ECONNREFUSED/);
    await channel.stop();
  });
});
