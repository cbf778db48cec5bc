import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PathNotAllowedError } from '../../src/index.ts';
import { startOpsHost } from '../helpers/ops-host.ts';

async function withOutside() {
  const ops = await startOpsHost();
  const outside = path.join(ops.root, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'not yours');
  await symlink(outside, path.join(ops.allowed, 'door'));
  await symlink(path.join(outside, 'secret.txt'), path.join(ops.allowed, 'secret-link.txt'));
  return { ops, outside };
}

const gone = (filePath: string) => stat(filePath).then(() => false, () => true);

describe('requests may name paths only inside --allow directories (over the socket, both dialects)', () => {
  it("refuses add's source outside: absolute, through '..', through a symlinked folder or file, and safekeep's own data", async () => {
    const { ops, outside } = await withOutside();
    const escapes = [
      path.join(outside, 'secret.txt'),
      `${ops.allowed}/../outside/secret.txt`,
      path.join(ops.allowed, 'door', 'secret.txt'),
      path.join(ops.allowed, 'secret-link.txt'),
      '/etc/passwd',
      path.join(ops.root, 'data', 'backups', 'notes.json'),
    ];
    for (const source of escapes) {
      const [reply] = await ops.text(`add ${source}`);
      assert.equal(reply?.startsWith(`Error (PATH_NOT_ALLOWED): '${source}' is not allowed`), true, reply);
      assert.equal(reply?.includes(outside) && !source.includes(outside), false, 'the message names only what the client sent');
      assert.equal(await ops.json.fails({ type: 'job.add', source }), 'PATH_NOT_ALLOWED');
      await assert.rejects(ops.host.request('job.add', { source }), PathNotAllowedError);
    }
    assert.equal((await ops.json.ok({ type: 'backup.status' })).jobs.length, 1, 'no job was added');
    await ops.stop();
  });

  it("refuses restore's target outside the same ways, and writes nothing there", async () => {
    const { ops, outside } = await withOutside();
    const escapes = [
      path.join(outside, 'restored.json'),
      `${ops.allowed}/../outside/restored.json`,
      path.join(ops.allowed, 'door', 'restored.json'),
      path.join(ops.root, 'data', 'restored.json'),
    ];
    for (const target of escapes) {
      const [reply] = await ops.text(`restore notes.json 1 ${target}`);
      assert.match(reply as string, /^Error \(PATH_NOT_ALLOWED\)/);
      assert.equal(await ops.json.fails({ type: 'backup.restore', version: 1, target }), 'PATH_NOT_ALLOWED');
      await assert.rejects(ops.host.request('backup.restore', { target }), PathNotAllowedError);
    }
    assert.equal(await gone(path.join(outside, 'restored.json')), true);
    assert.equal(await gone(path.join(ops.root, 'data', 'restored.json')), true);
    assert.equal(await ops.json.fails({ type: 'backup.restore', target: path.join(ops.allowed, 'secret-link.txt') }), 'PATH_NOT_ALLOWED');
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'not yours', 'a link to a file outside is never written through');
    await ops.stop();
  });

  it('allows a path inside, even named with .. that stays inside', async () => {
    const { ops } = await withOutside();
    const target = `${ops.allowed}/sub/../restored.json`;
    await mkdir(path.join(ops.allowed, 'sub'));
    assert.equal((await ops.json.ok({ type: 'backup.restore', target })).target, path.join(ops.allowed, 'restored.json'));
    await ops.stop();
  });

  it('with no --allow, nothing may be named over any interface, but a restore to the job\'s own source still works', async () => {
    const ops = await startOpsHost({ allowedPaths: [] });
    const inside = path.join(ops.allowed, 'x.json');
    assert.match((await ops.text(`add ${inside}`))[0] as string, /^Error \(PATH_NOT_ALLOWED\): .* no directory is open to requests \(start safekeep with --allow DIR\)$/);
    assert.equal(await ops.json.fails({ type: 'backup.restore', target: inside }), 'PATH_NOT_ALLOWED');
    await assert.rejects(ops.host.addJob({ sourcePath: inside, intervalMs: 60_000 }), PathNotAllowedError);
    await writeFile(ops.source, 'changed');
    assert.equal((await ops.json.ok({ type: 'backup.restore', target: ops.source })).target, ops.source);
    assert.equal(await readFile(ops.source, 'utf8'), '{"v":1}');
    await ops.stop();
  });

  it('jobs from the configuration are allowed by being configured, and so is the operator\'s own addConfiguredJob', async () => {
    const ops = await startOpsHost({ allowedPaths: [] });
    const elsewhere = path.join(ops.root, 'elsewhere.txt');
    await writeFile(elsewhere, 'x');
    assert.equal((await ops.host.addConfiguredJob({ sourcePath: elsewhere, intervalMs: 60_000 })).id, 'elsewhere.txt');
    await ops.stop();
  });
});
