import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost, writeSource } from '../helpers/host-harness.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { TestClient } from '../helpers/test-client.ts';
import { Secret } from '../../src/index.ts';
import { replayRecording } from '../../src/replay/replay.ts';
import { RecordingFormatError, readRecording } from '../../src/replay/read-recording.ts';

const RECORDINGS = fileURLToPath(new URL('../recordings/', import.meta.url));
const MINUTE = 60_000;

/** A recording of an in-process session on a virtual clock: backups, a registration, logins right and wrong, an entry. */
async function recordSession(): Promise<{ file: string; text: string }> {
  const root = await tempDir('record');
  const file = path.join(root, 'run.ndjson');
  const source = await writeSource(root, 'notes.txt', 'one\n');
  const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }], record: file, allowedPaths: [root] });
  clock.advance(0);
  await host.request('backup.run', {});
  await host.request('user.register', { username: 'ann', masterPassword: new Secret('correct horse battery') });
  const { token } = await host.request('session.login', { username: 'ann', masterPassword: new Secret('correct horse battery') });
  await host.request('entry.add', { token, name: 'mail', password: new Secret('hunter2') });
  await host.request('entry.add', { token, name: 'bank', password: new Secret('b4nk') });
  await host.request('entry.rename', { token, name: 'mail', newName: 'email' });
  const { entries } = await host.request('entry.list', { token });
  await host.request('entry.delete', { token, entryId: entries.find((entry) => entry.name === 'bank')!.entryId });
  await host.request('entry.get', { token, name: 'email' });
  await host.request('session.login', { username: 'ann', masterPassword: new Secret('wrong horse battery') }).catch(() => undefined);
  await writeSource(root, 'notes.txt', 'two\n');
  clock.advance(MINUTE);
  await host.request('backup.revert', {});
  const todo = await writeSource(root, 'todo.md', '- replay\n');
  await host.addJob({ sourcePath: todo, intervalMs: 5 * MINUTE });
  await host.pause('notes.txt');
  clock.advance(MINUTE);
  await host.resume('notes.txt');
  await host.runBackup('todo.md');
  await host.stop();
  return { file, text: await readFile(file, 'utf8') };
}

describe('replaying the recorded sessions in test/recordings (re-record with `npm run record-sessions` after a deliberate change)', async () => {
  for (const name of (await readdir(RECORDINGS)).filter((file) => file.endsWith('.ndjson')).sort()) {
    it(`${name} replays identically`, async () => {
      const result = await replayRecording(await readFile(path.join(RECORDINGS, name), 'utf8'));
      assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
      assert.equal(result.matched, result.steps);
    });
  }
});

describe('record and replay', () => {
  it('a recorded session replays identically, with every decision about secrets the same', async () => {
    const { text } = await recordSession();
    const result = await replayRecording(text);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
    assert.ok(result.steps > 50);
    assert.equal(result.complete, true);
  });

  it('every line has its sequence number, time, correlation id and payload; no secret is written', async () => {
    const { text } = await recordSession();
    const { steps } = readRecording(text);
    assert.deepEqual(Object.keys(steps[1]?.step ?? {}).slice(0, 4), ['seq', 'time', 'correlation', 'kind']);
    const submitted = steps.map(({ step }) => step).filter((step) => step.kind === 'event' && step.name === 'request.submitted');
    assert.ok(submitted.every((step) => step.correlation?.startsWith('req_')));
    for (const secret of ['correct horse', 'wrong horse', 'hunter2']) assert.ok(!text.includes(secret), `${secret} was written`);
    // Nor an entry name's tag (made with the data key): entry keys are placeholders too.
    assert.ok(!/\\u0000[0-9a-f]{64}/.test(text), 'an entry key was written');
    // The right password twice is one placeholder; the wrong one another.
    const passwords = submitted.map((step) => JSON.stringify(step.kind === 'event' && step.payload).match(/"masterPassword":\{"\$secret":"(#\d+)"/)?.[1]).filter(Boolean);
    assert.equal(passwords.length, 3);
    assert.equal(passwords[0], passwords[1]);
    assert.notEqual(passwords[1], passwords[2]);
  });

  it('fails at the first step that differs, with both versions of it', async () => {
    const { text } = await recordSession();
    const lines = text.split('\n');
    const at = lines.findIndex((line) => line.includes('"name":"backup.completed"'));
    lines[at] = (lines[at] as string).replace('"kind":"copied"', '"kind":"unchanged"');
    const result = await replayRecording(lines.join('\n'));
    assert.equal(result.divergence?.seq, at);
    assert.equal(result.divergence?.recorded, lines[at]);
    assert.equal(result.divergence?.replayed, (lines[at] as string).replace('"kind":"unchanged"', '"kind":"copied"'));
    assert.equal(result.matched, at - 1);
  });

  it('knows which secret each decision was about: a login with another secret than the registered one is caught', async () => {
    const { text } = await recordSession();
    const lines = text.split('\n');
    // The first login used the registration's password; make it a password never seen before.
    const login = lines.findIndex((line) => line.includes('"type":"session.login"'));
    const registered = /"masterPassword":\{"\$secret":"(#\d+)"/.exec(lines[login] as string)?.[1] as string;
    lines[login] = (lines[login] as string).replace(`"$secret":"${registered}"`, '"$secret":"#99"');
    const result = await replayRecording(lines.join('\n'));
    assert.ok(result.divergence, 'the wrong password logged in');
    assert.ok(result.divergence.seq > login);
    // The first difference: the hasher is asked about the other secret, not the registered one.
    assert.match(result.divergence.recorded ?? '', new RegExp(`"op":"verify","args":\\[\\{"\\$secret":"#\\d+","atLeast":8\\},\\{"\\$secret":"${registered}"`));
    assert.match(result.divergence.replayed ?? '', /"op":"verify","args":\[\{"\$secret":"#\d+","atLeast":8\},\{"\$secret":"#99"/);
  });

  it('feeds requests that arrived in one socket read together, as they arrived', async () => {
    const root = await tempDir('record');
    const file = path.join(root, 'socket.ndjson');
    const { host } = await startTestHost(path.join(root, 'data'), { socket: { port: 0 }, record: file });
    const client = await TestClient.connect((host.address as { port: number }).port);
    client.send('{"type": "users.count"}\n{"type": "users.list"}\n{not json}\n');
    await client.lines(3);
    const json = await JsonClient.connect((host.address as { port: number }).port);
    await json.ok({ type: 'user.register', username: 'bo', masterPassword: 'correct horse battery' });
    // A malformed secret is not written either: a number where a password belongs.
    assert.equal(await json.fails({ type: 'session.login', username: 'bo', masterPassword: 987654321 }), 'INVALID_FIELD');
    json.close();
    client.destroy();
    await host.stop();
    const text = await readFile(file, 'utf8');
    assert.match(text, /"withPrevious":true/);
    assert.ok(!text.includes('987654321') && !text.includes('correct horse'));
    const result = await replayRecording(text);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
  });

  it('replays pipelined clients: many requests in one read, whose replies are written between the host\'s later steps', async () => {
    // Regression: a recorded reply.sent was fed only after the host had already made the next reply ready.
    const root = await tempDir('record');
    const file = path.join(root, 'pipelined.ndjson');
    const source = await writeSource(root, 'notes.txt', 'one\n');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { socket: { port: 0 }, record: file, jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    clock.advance(0);
    await host.runBackup();
    const { port } = host.address as { port: number };
    const text = await TestClient.connect(port);
    text.send('revert\nrevert\nnonsense\nrevert\n\nREVERT\nbackup\nrevert\n');
    await text.lines(7);
    const json = await TestClient.connect(port);
    json.send('{"type": "users.count"}{"message": "number_of_users"}{"type": "nope"}[]{"type": "users.list"}');
    await json.lines(5);
    text.destroy();
    json.destroy();
    await host.stop();
    const recorded = await readFile(file, 'utf8');
    // Each read's requests went on the bus as one event: the recording holds the batches, not one step per request.
    const batches = readRecording(recorded).steps.flatMap(({ step }) => (step.kind === 'event' && step.name === 'requests.received' ? [(step.payload as { requests: unknown[] }).requests.length] : []));
    assert.ok(batches.some((size) => size > 1), `batch sizes ${batches.join(', ')}`);
    assert.equal(batches.reduce((sum, size) => sum + size, 0), 12);
    const result = await replayRecording(recorded);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
    assert.equal(result.matched, result.steps);
  });

  it('says a recording made before requests travelled one event per read cannot be replayed by this version', async () => {
    const { text } = await recordSession();
    const [header] = text.split('\n');
    const older = `${header}\n{"seq":1,"time":1,"correlation":"req_1","kind":"event","name":"request.received","payload":{"connectionId":"c","requestId":"req_1","dialect":"text","text":"revert","framing":"bare","receivedAt":1}}\n`;
    assert.throws(() => readRecording(older), (error: unknown) => error instanceof RecordingFormatError && /older safekeep/.test(error.message));
  });

  it('replays a recording cut short by a crash up to its last whole line', async () => {
    const { text } = await recordSession();
    const cut = text.slice(0, Math.floor(text.length / 2));
    const result = await replayRecording(cut);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
    assert.equal(result.steps, cut.split('\n').length - 2);
    assert.equal(result.complete, false);
  });

  it('gives up on a step the host never produces once the replay has waited stallMs of real time for it, naming that step', async () => {
    const { text } = await recordSession();
    const lines = text.trimEnd().split('\n');
    const end = JSON.parse(lines.pop() as string) as { end: string; steps: number };
    const missing = JSON.stringify({ seq: end.steps + 1, time: JSON.parse(lines.at(-1) as string).time, correlation: null, kind: 'id', prefix: 'never', value: 'never_1' });
    // Long enough for the password hashes the session waits for on a busy machine: they are real work, on real time too.
    const result = await replayRecording(`${[...lines, missing, JSON.stringify({ ...end, steps: end.steps + 1 })].join('\n')}\n`, { stallMs: 1_500 });
    assert.equal(result.matched, end.steps);
    assert.equal(result.divergence?.seq, end.steps + 1);
    assert.equal(result.divergence?.recorded, missing);
    assert.equal(result.divergence?.replayed, null);
    assert.match(result.divergence?.reason ?? '', /stopped short/);
  });

  it('says so when a divergence may come from secrets saved before the recording began', async () => {
    const root = await tempDir('record');
    const dataDir = path.join(root, 'data');
    const before = await startTestHost(dataDir);
    await before.host.request('user.register', { username: 'ann', masterPassword: new Secret('correct horse battery') });
    await before.host.stop();
    const file = path.join(root, 'later.ndjson');
    const { host } = await startTestHost(dataDir, { record: file });
    await host.request('session.login', { username: 'ann', masterPassword: new Secret('correct horse battery') });
    await host.stop();
    const result = await replayRecording(await readFile(file, 'utf8'));
    assert.match(result.divergence?.reason ?? '', /secret material saved before it began \(#\d+(, #\d+)*\)/);
    // The decision itself is made again: against credentials the replay never had (stand-ins), their digest does
    // not match, so the replay refuses them where the recorded run went on to verify the password.
    assert.match(result.divergence?.recorded ?? '', /"port":"hasher".*"op":"verify"/);
    assert.match(result.divergence?.replayed ?? '', /"code":"CREDENTIALS_DAMAGED"/);
  });

  it('refuses what is not a recording, naming the line', async () => {
    assert.throws(() => readRecording('{"hello":1}\n'), RecordingFormatError);
    const { text } = await recordSession();
    const lines = text.split('\n');
    lines[3] = '{"seq":3,"oops"';
    assert.throws(() => readRecording(lines.join('\n')), /line 4 is not a JSON object/);
    lines[3] = '{"seq":7,"time":1,"kind":"id"}';
    assert.throws(() => readRecording(lines.join('\n')), /line 4 is not step 3/);
  });

  it('refuses a recording whose output line is damaged past its head, naming the line, though a replay parses outputs only when it needs them', async () => {
    const { text } = await recordSession();
    for (const pattern of ['"name":"backup.completed"', '"kind":"id"']) {
      const lines = text.split('\n');
      const at = lines.findIndex((line) => line.includes(pattern));
      lines[at] = (lines[at] as string).slice(0, -3);
      await assert.rejects(replayRecording(lines.join('\n')), (error: unknown) => error instanceof RecordingFormatError && error.message === `line ${at + 1} is not a JSON object`);
    }
  });

  it('records through the API to a file readable by its owner only', async () => {
    const { file } = await recordSession();
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });
});
