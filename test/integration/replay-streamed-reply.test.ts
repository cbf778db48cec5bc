import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { replayRecording } from '../../src/replay/replay.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { openStore } from '../helpers/open-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';

/** Enough users that check_users is several chunks: its reply.sent comes after 'drain', not inside reply.ready. */
const USERS = 5_000;

async function storeWithUsers(dataDir: string): Promise<void> {
  const { client, close } = await openStore(dataDir);
  // Only the keys are listed: the documents need not be whole users.
  await Promise.all(Array.from({ length: USERS }, (_, index) => client.put('book.users', `user${String(index).padStart(5, '0')}`, { index })));
  await close();
}

describe('replaying a streamed reply', () => {
  it('replays a check_users written in chunks while the request behind it was handled', async () => {
    const root = await tempDir('record-streamed');
    const dataDir = path.join(root, 'data');
    await storeWithUsers(dataDir);
    const file = path.join(root, 'streamed.ndjson');
    const { host } = await startTestHost(dataDir, { socket: { port: 0 }, record: file });
    const client = await TestClient.connect((host.address as { port: number }).port);
    client.send('{"message": "check_users"}{"message": "number_of_users"}');
    const [list, count] = await client.lines(2);
    assert.equal(JSON.parse(list as string).users.length, USERS);
    assert.equal(JSON.parse(count as string).number_of_users, USERS);
    client.destroy();
    await host.stop();
    const text = await readFile(file, 'utf8');
    for (const recording of [text, withDrainAfterNextResult(text)]) {
      const result = await replayRecording(recording, { stallMs: 2_000 });
      assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2)?.slice(0, 2_000));
      assert.equal(result.matched, result.steps);
    }
  });
});

/**
 * The same session as if the client had read the list more slowly: its
 * `reply.sent` (the last chunk's 'drain') comes after the store has answered
 * the request behind it and that request's reply was made ready, so the reply
 * stand-in never finds it next.
 */
function withDrainAfterNextResult(text: string): string {
  const lines = text.trimEnd().split('\n');
  const steps = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const sentAt = steps.findIndex((step) => step['name'] === 'reply.sent');
  const nextResult = steps.findIndex((step, index) => index > sentAt && step['name'] === 'store.result');
  // Right after what the host did with that result (the next reply made ready), before the next reply's own reply.sent.
  const nextSent = steps.findIndex((step, index) => index > nextResult && step['name'] === 'reply.sent');
  assert.ok(sentAt > 0 && nextResult > sentAt && nextSent > nextResult, 'the recording has a reply.sent, a store.result and another reply.sent after it');
  const [sent] = lines.splice(sentAt, 1);
  lines.splice(nextSent - 1, 0, sent as string);
  // Sequence numbers follow the new order; each line keeps its own time, which only moves forward here.
  return `${lines.map((line, index) => (index === 0 ? line : line.replace(/^\{"seq":\d+/, `{"seq":${index}`))).join('\n')}\n`;
}
