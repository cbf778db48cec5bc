import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ConsoleReporter } from '../../adapters/console/console-reporter.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { INTERNAL_ERROR_MESSAGE } from '../../src/errors/safekeep-error.ts';
import { RequestRouter } from '../../src/host/request-router.ts';
import type { CommandHandler } from '../../src/protocol/commands.ts';
import type { RequestReceived } from '../../src/protocol/messages.ts';
import { jsonDialect } from '../../src/protocol/json-dialect.ts';
import { textDialect } from '../../src/protocol/text-dialect.ts';
import { START } from '../helpers/host-harness.ts';

describe('a socket request that fails with an unexpected error', () => {
  it('tells the client a generic sentence, and the log what happened', async () => {
    const bus = new Bus();
    const clock = new VirtualClock(START);
    const handler = (async () => {
      throw new Error('EIO: i/o error, read /srv/safekeep-data/store/book.users/shard-0a3.json');
    }) as CommandHandler;
    const router = new RequestRouter({ bus, clock, handler, codecs: { text: textDialect, json: jsonDialect }, timeouts: { defaultMs: 30_000, backupMs: 30_000 } });
    router.start();
    const out = new PassThrough({ encoding: 'utf8' });
    let logged = '';
    out.on('data', (text: string) => (logged += text));
    const reporter = new ConsoleReporter({ out, clock, verbose: false });
    await reporter.start(bus);

    const replied = bus.once('reply.ready');
    const failed = bus.once('request.failed');
    const request: RequestReceived = { connectionId: 'conn_1', requestId: 'req_1', dialect: 'text', text: 'revert', framing: 'line', receivedAt: START };
    await bus.emit('requests.received', { connectionId: 'conn_1', requests: [request] });
    const reply = await replied;
    assert.equal(reply.text, `Error (INTERNAL): ${INTERNAL_ERROR_MESSAGE}\n`);
    assert.equal((await failed).error.detail, 'EIO: i/o error, read /srv/safekeep-data/store/book.users/shard-0a3.json');
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(logged, /request req_1 on conn_1 failed \(INTERNAL\): .*EIO: i\/o error, read \/srv\/safekeep-data/);
    router.stop();
    await reporter.stop();
  });
});
