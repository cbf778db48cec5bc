import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { HostRequestName } from '../../src/host/host-requests.ts';
import { SafekeepError } from '../../src/index.ts';
import { startOpsHost } from '../helpers/ops-host.ts';

const HUGE = 'x'.repeat(5_000);
const INVALID = (line: string) => `Invalid request command '${line}' sent.`;

describe('malformed backup requests over the text dialect get a clear reply, and the connection goes on', () => {
  const cases: [string, RegExp | string][] = [
    ['status now', INVALID('status now')],
    ['versions a b', INVALID('versions a b')],
    ['backup a b', INVALID('backup a b')],
    ['revert notes.json one', INVALID('revert notes.json one')],
    ['revert notes.json 1 2', INVALID('revert notes.json 1 2')],
    ['revert notes.json 0', /^Error \(INVALID_FIELD\): 'version' must be/],
    ['revert notes.json -1', INVALID('revert notes.json -1')],
    ['revert notes.json 1.5', INVALID('revert notes.json 1.5')],
    ['revert notes.json 99999999999999999999', /^Error \(INVALID_FIELD\): 'version' must be/],
    ['revert notes.json 007', /^Error \(INVALID_FIELD\): 'version' must be/],
    ['restore', "Error (INVALID_FIELD): 'restore' needs a job: restore JOB [VERSION|newest [TARGET]]"],
    ['restore notes.json latest', INVALID('restore notes.json latest')],
    ['restore notes.json 0', /^Error \(INVALID_FIELD\): 'version' must be/],
    ['restore nope', "Error (UNKNOWN_JOB): There is no backup job 'nope'"],
    ['restore notes.json 5', "Error (UNKNOWN_VERSION): The job 'notes.json' has no version '5'"],
    [`restore notes.json 1 /${HUGE}`, /^Error \(INVALID_FIELD\): 'target' must be a file path of at most 4096 characters$/],
    ['add', "Error (INVALID_FIELD): 'add' needs a path: add PATH [INTERVAL]"],
    [`add /${HUGE}`, /^Error \(INVALID_FIELD\): 'source' must be a file path of at most 4096/],
    ['pause a b', INVALID('pause a b')],
    ['pause nope', "Error (UNKNOWN_JOB): There is no backup job 'nope'"],
    ['resume a b', INVALID('resume a b')],
    ['remove', "Error (INVALID_FIELD): 'remove' needs a job: remove JOB [forget]"],
    ['remove notes.json now', INVALID('remove notes.json now')],
    ['remove notes.json forget please', INVALID('remove notes.json forget please')],
    ['remove nope', "Error (UNKNOWN_JOB): There is no backup job 'nope'"],
  ];
  for (const [line, expected] of cases) {
    it(`answers '${line.length > 60 ? `${line.slice(0, 60)}…` : line}'`, async () => {
      const ops = await startOpsHost();
      const [reply] = await ops.text(line);
      if (typeof expected === 'string') assert.equal(reply, expected);
      else assert.match(reply as string, expected);
      assert.deepEqual(await ops.text('revert'), [ops.first.path], 'the connection still works');
      assert.equal(await readFile(ops.source, 'utf8'), '{"v":1}', 'and nothing was touched');
      await ops.stop();
    });
  }
});

describe('malformed typed backup requests are refused alike over the JSON dialect and through host.request', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['backup.status', { extra: 1 }, 'INVALID_FIELD'],
    ['backup.versions', { job: 5 }, 'INVALID_FIELD'],
    ['backup.versions', { job: '' }, 'INVALID_FIELD'],
    ['backup.versions', { job: HUGE }, 'INVALID_FIELD'],
    ['backup.run', { job: ['notes.json'] }, 'INVALID_FIELD'],
    ['backup.revert', { version: -1 }, 'INVALID_FIELD'],
    ['backup.revert', { version: 1.5 }, 'INVALID_FIELD'],
    ['backup.revert', { version: 2 ** 60 }, 'INVALID_FIELD'],
    ['backup.revert', { version: 'one' }, 'INVALID_FIELD'],
    ['backup.revert', { version: { seq: 1 } }, 'INVALID_FIELD'],
    ['backup.revert', { version: 5 }, 'UNKNOWN_VERSION'],
    ['backup.restore', { target: 7 }, 'INVALID_FIELD'],
    ['backup.restore', { target: `/${HUGE}` }, 'INVALID_FIELD'],
    ['backup.restore', { target: '/tmp/a\u0000b' }, 'INVALID_FIELD'],
    ['backup.restore', { version: 0 }, 'INVALID_FIELD'],
    ['backup.restore', { job: 'nope' }, 'UNKNOWN_JOB'],
    ['job.add', {}, 'INVALID_FIELD'],
    ['job.add', { source: 42 }, 'INVALID_FIELD'],
    ['job.add', { source: '/x', interval: '0s' }, 'INVALID_FIELD'],
    ['job.add', { source: '/x', interval: -60 }, 'INVALID_FIELD'],
    ['job.add', { source: '/x', interval: '2y' }, 'INVALID_FIELD'],
    ['job.add', { source: '/x', interval: 1e300 }, 'INVALID_FIELD'],
    ['job.add', { source: '/x', interval: true }, 'INVALID_FIELD'],
    ['job.add', { source: '/x', keep: 3 }, 'INVALID_FIELD'],
    ['job.pause', { job: null, extra: true }, 'INVALID_FIELD'],
    ['job.resume', { job: 'nope' }, 'UNKNOWN_JOB'],
    ['job.remove', {}, 'INVALID_FIELD'],
    ['job.remove', { job: 'notes.json', forget: 'yes' }, 'INVALID_FIELD'],
    ['job.remove', { job: 'nope' }, 'UNKNOWN_JOB'],
  ];
  for (const [type, params, code] of cases) {
    it(`${type} ${JSON.stringify(params).slice(0, 60)} → ${code}`, async () => {
      const ops = await startOpsHost();
      assert.equal(await ops.json.fails({ type, ...params }), code);
      // An unknown field is a JSON-dialect notion: in process, the typed params have no such key to send.
      if (!('extra' in params)) {
        const error = await ops.host.request(type as HostRequestName, params as never).then(
          () => assert.fail('host.request did not fail'),
          (failure: unknown) => failure,
        );
        assert.ok(error instanceof SafekeepError);
        assert.equal(error.code, code);
      }
      assert.equal((await ops.json.ok({ type: 'backup.revert' })).version.id, 'notes.json@1', 'the connection still works');
      await ops.stop();
    });
  }
});
