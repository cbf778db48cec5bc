import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostRequestName } from '../../src/host/host-requests.ts';
import { SafekeepError } from '../../src/index.ts';
import { MINUTE, startOpsHost } from '../helpers/ops-host.ts';

type Ops = Awaited<ReturnType<typeof startOpsHost>>;

/** A folder inside the allowed directory, as the operator configured it: every 10 minutes, the newest 5 kept, logs left out. */
async function configuredSite(ops: Ops): Promise<string> {
  const site = path.join(ops.allowed, 'site');
  await mkdir(site);
  await writeFile(path.join(site, 'index.html'), '<p>hi</p>');
  await ops.host.addConfiguredJob({ sourcePath: site, intervalMs: 10 * MINUTE, retention: { last: 5 }, excludes: ['*.log'] });
  return site;
}

async function hostFails(ops: Ops, name: string, params: unknown): Promise<SafekeepError> {
  const error = await (ops.host.request as (name: HostRequestName, params: unknown) => Promise<unknown>)(name as HostRequestName, params).then(
    () => assert.fail(`host.request('${name}') did not fail`),
    (failure: unknown) => failure,
  );
  assert.ok(error instanceof SafekeepError);
  return error;
}

function siteJob(ops: Ops) {
  const job = ops.host.jobs().find((each) => each.id === 'site');
  assert.ok(job, 'the site job exists');
  return job;
}

describe('updating a job with add changes only what the request names', () => {
  it('JSON job.add with an interval keeps the retention policy and excludes', async () => {
    const ops = await startOpsHost();
    const site = await configuredSite(ops);
    const { job } = await ops.json.ok({ type: 'job.add', source: site, interval: '5m' });
    assert.equal(job.intervalMs, 5 * MINUTE);
    assert.deepEqual(job.retention, { last: 5 });
    assert.deepEqual(job.excludes, ['*.log']);
    assert.deepEqual(siteJob(ops).retention, { last: 5 }, 'and so does the saved job');
    await ops.stop();
  });

  it('text add PATH without an interval keeps the interval (not an hour), the policy and the excludes', async () => {
    const ops = await startOpsHost();
    const site = await configuredSite(ops);
    assert.deepEqual(await ops.text(`add ${site}`), [`Added site: ${site} every 10m.`]);
    const job = siteJob(ops);
    assert.equal(job.intervalMs, 10 * MINUTE);
    assert.deepEqual(job.retention, { last: 5 });
    assert.deepEqual(job.excludes, ['*.log']);
    await ops.stop();
  });

  it('host.request keeps what it leaves out, in both shapes', async () => {
    const ops = await startOpsHost();
    const site = await configuredSite(ops);
    const byShorthand = (await ops.host.request('job.add', { source: site })).job;
    assert.deepEqual([byShorthand.intervalMs, byShorthand.retention, byShorthand.excludes], [10 * MINUTE, { last: 5 }, ['*.log']]);
    const bySpec = (await ops.host.request('job.add', { sourcePath: site, intervalMs: 2 * MINUTE })).job;
    assert.deepEqual([bySpec.intervalMs, bySpec.retention, bySpec.excludes], [2 * MINUTE, { last: 5 }, ['*.log']]);
    await ops.stop();
  });

  it('a new job gets the defaults: hourly, every version kept, nothing excluded', async () => {
    const ops = await startOpsHost();
    const todo = path.join(ops.allowed, 'todo.md');
    await writeFile(todo, '- milk');
    const { job } = await ops.json.ok({ type: 'job.add', source: todo });
    assert.deepEqual([job.intervalMs, job.retention, job.excludes], [60 * MINUTE, {}, undefined]);
    await ops.stop();
  });

  it('job.add takes excludes (an array of globs), replaces them when given, and refuses bad ones in both ways', async () => {
    const ops = await startOpsHost();
    const site = await configuredSite(ops);
    assert.deepEqual((await ops.json.ok({ type: 'job.add', source: site, excludes: ['cache/', '*.tmp'] })).job.excludes, ['cache/', '*.tmp']);
    assert.equal((await ops.host.request('job.add', { source: site, excludes: [] })).job.excludes, undefined, 'an empty list clears them');
    assert.deepEqual(siteJob(ops).retention, { last: 5 });
    for (const excludes of ['*.log', [1], [''], [null], ['a\u0000b'], { 0: '*.log' }]) {
      assert.equal(await ops.json.fails({ type: 'job.add', source: site, excludes }), 'INVALID_FIELD', JSON.stringify(excludes));
      assert.equal((await hostFails(ops, 'job.add', { source: site, excludes })).code, 'INVALID_FIELD');
    }
    assert.equal(siteJob(ops).excludes, undefined, 'a refused request changed nothing');
    await ops.stop();
  });
});

describe('text add: a last word in the form of an interval is one, in range or refused', () => {
  const INTERVAL_MESSAGE = "Error (INVALID_FIELD): 'interval' must be seconds (60) or a time such as 30s, 5m or 1h, from 1s to 365d";
  for (const word of ['10y', '2y', '366d', '99999999999', '0', '0s']) {
    it(`add PATH ${word} is refused naming the interval, and adds no job`, async () => {
      const ops = await startOpsHost();
      const todo = path.join(ops.allowed, 'todo.md');
      await writeFile(todo, '- milk');
      await writeFile(`${todo} ${word}`, 'a file whose name ends like an interval');
      assert.deepEqual(await ops.text(`add ${todo} ${word}`), [INTERVAL_MESSAGE]);
      assert.equal(await ops.json.fails({ type: 'job.add', source: todo, interval: word }), 'INVALID_FIELD', 'as the JSON dialect refuses it');
      assert.deepEqual(ops.host.jobs().map((job) => job.id), ['notes.json']);
      await ops.stop();
    });
  }

  it('takes a good interval, and keeps a last word that is no interval as part of the path', async () => {
    const ops = await startOpsHost();
    const spaced = path.join(ops.allowed, 'my notes v2');
    await writeFile(spaced, 'x');
    assert.deepEqual(await ops.text(`add ${spaced} 5m`), [`Added my-notes-v2: ${spaced} every 5m.`]);
    assert.deepEqual(await ops.text(`add ${spaced}`), [`Added my-notes-v2: ${spaced} every 5m.`]);
    await ops.stop();
  });
});

describe('add refuses a source that does not exist, in every dialect', () => {
  it('answers SOURCE_NOT_FOUND quoting only the path the client sent', async () => {
    const ops = await startOpsHost();
    const missing = path.join(ops.allowed, 'nope.md');
    assert.deepEqual(await ops.text(`add ${missing}`), [`Error (SOURCE_NOT_FOUND): '${missing}' does not exist`]);
    assert.equal(await ops.json.fails({ type: 'job.add', source: missing, interval: 60 }), 'SOURCE_NOT_FOUND');
    assert.equal((await hostFails(ops, 'job.add', { source: missing })).code, 'SOURCE_NOT_FOUND');
    const error = await hostFails(ops, 'job.add', { sourcePath: `${ops.allowed}/x/../nope.md`, intervalMs: MINUTE });
    assert.equal(error.code, 'SOURCE_NOT_FOUND');
    assert.equal(error.message, `'${ops.allowed}/x/../nope.md' does not exist`);
    assert.deepEqual(ops.host.jobs().map((job) => job.id), ['notes.json']);
    await ops.stop();
  });
});

describe('paths in requests must be absolute', () => {
  it("a relative add source or restore target gets INVALID_FIELD 'must be an absolute path' in both dialects and host.request", async () => {
    const ops = await startOpsHost();
    assert.deepEqual(await ops.text('add ./todo.md'), ["Error (INVALID_FIELD): 'source' must be an absolute path"]);
    assert.deepEqual(await ops.text('add todo.md 5m'), ["Error (INVALID_FIELD): 'source' must be an absolute path"]);
    assert.deepEqual(await ops.text('restore notes.json 1 restored.json'), ["Error (INVALID_FIELD): 'target' must be an absolute path"]);
    assert.equal(await ops.json.fails({ type: 'job.add', source: 'todo.md' }), 'INVALID_FIELD');
    assert.equal(await ops.json.fails({ type: 'backup.restore', job: 'notes.json', target: '../restored.json' }), 'INVALID_FIELD');
    for (const [name, params] of [
      ['job.add', { source: './todo.md' }],
      ['job.add', { sourcePath: 'todo.md', intervalMs: MINUTE }],
      ['backup.restore', { job: 'notes.json', target: 'restored.json' }],
    ] as const) {
      const error = await hostFails(ops, name, params);
      assert.equal(error.code, 'INVALID_FIELD');
      assert.match(error.message, /must be an absolute path$/);
    }
    await ops.stop();
  });
});

describe('the unconfined add is for host-internal code only', () => {
  it('a request.submitted carrying configured: true from any bus adapter is still confined', async () => {
    const ops = await startOpsHost();
    const outside = path.join(ops.root, 'outside.txt');
    await writeFile(outside, 'secret-ish');
    const settled = new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => {
      ops.host.bus.on('request.settled', (event) => {
        if (event.requestId === 'sneaky-1') resolve(event as never);
      });
    });
    void ops.host.bus.emit('request.submitted', {
      requestId: 'sneaky-1',
      command: { kind: 'job.add', spec: { sourcePath: outside, intervalMs: MINUTE }, configured: true } as never,
      clientAddress: 'adapter',
    });
    const reply = await settled;
    assert.equal(reply.ok, false);
    assert.equal(reply.error?.code, 'PATH_NOT_ALLOWED');
    assert.deepEqual(ops.host.jobs().map((job) => job.id), ['notes.json']);
    // The operator's own method still adds it.
    assert.equal((await ops.host.addConfiguredJob({ sourcePath: outside, intervalMs: MINUTE })).id, 'outside.txt');
    await ops.stop();
  });
});

describe('text words that need a job say so', () => {
  for (const [line, reply] of [
    ['remove', "Error (INVALID_FIELD): 'remove' needs a job: remove JOB [forget]"],
    ['forget', "Error (INVALID_FIELD): 'forget' needs a job: forget JOB [--keep-last N …] [--dry-run]"],
    ['restore', "Error (INVALID_FIELD): 'restore' needs a job: restore JOB [VERSION|newest [TARGET]]"],
    ['frobnicate', "Invalid request command 'frobnicate' sent."],
  ] as const) {
    it(`answers '${line}'`, async () => {
      const ops = await startOpsHost();
      assert.deepEqual(await ops.text(line), [reply]);
      assert.deepEqual(await ops.text('revert'), [ops.first.path], 'bare revert is as it was');
      await ops.stop();
    });
  }
});
