import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_BUNDLE, CLI_BUNDLE_INPUTS, whyRebuild } from '../../scripts/cli-bundle.js';
import { tempDir } from '../helpers/temp-dir.ts';

const BUILT_AT = new Date('2026-11-01T12:00:00Z');
const EARLIER = new Date('2026-11-01T11:00:00Z');
const LATER = new Date('2026-11-01T13:00:00Z');

/** A package folder with two sources and, unless told otherwise, a bundle built from them after they were last changed. */
async function packageFolder(options: { built?: boolean; inputsList?: string } = {}): Promise<string> {
  const root = await tempDir('cli-bundle');
  await mkdir(path.join(root, 'src/cli'), { recursive: true });
  for (const source of ['src/cli/main.ts', 'src/cli/options.ts']) {
    await writeFile(path.join(root, source), '// source\n');
    await utimes(path.join(root, source), EARLIER, EARLIER);
  }
  if (options.built === false) return root;
  await mkdir(path.dirname(path.join(root, CLI_BUNDLE)), { recursive: true });
  await writeFile(path.join(root, CLI_BUNDLE), '// bundle\n');
  await utimes(path.join(root, CLI_BUNDLE), BUILT_AT, BUILT_AT);
  await writeFile(path.join(root, CLI_BUNDLE_INPUTS), options.inputsList ?? JSON.stringify(['src/cli/main.ts', 'src/cli/options.ts']));
  return root;
}

describe('whether npm start must build the command first', () => {
  it('runs the bundle as it is when it is newer than every source it was built from', async () => {
    assert.equal(whyRebuild(await packageFolder()), null);
  });

  it('builds a bundle that is not there yet, as after a clone installed without its build', async () => {
    assert.equal(whyRebuild(await packageFolder({ built: false })), `${CLI_BUNDLE} is not built yet`);
  });

  it('builds again when a source changed after the bundle was built, and names it', async () => {
    const root = await packageFolder();
    await utimes(path.join(root, 'src/cli/options.ts'), LATER, LATER);
    assert.equal(whyRebuild(root), 'src/cli/options.ts changed since the last build');
  });

  it('builds again when a source it was built from is gone', async () => {
    const root = await packageFolder();
    await rm(path.join(root, 'src/cli/options.ts'));
    assert.equal(whyRebuild(root), 'src/cli/options.ts is gone since the last build');
  });

  it('builds again when the list of sources is missing or not a list of paths (a bundle some other build made)', async () => {
    const root = await packageFolder();
    await rm(path.join(root, CLI_BUNDLE_INPUTS));
    assert.equal(whyRebuild(root), `${CLI_BUNDLE_INPUTS} is missing or unreadable`);
    assert.equal(whyRebuild(await packageFolder({ inputsList: '{"not": "a list"}' })), `${CLI_BUNDLE_INPUTS} is missing or unreadable`);
    assert.equal(whyRebuild(await packageFolder({ inputsList: 'not json' })), `${CLI_BUNDLE_INPUTS} is missing or unreadable`);
  });

  it('lists, after a real build, every source of the command and nothing that is not a file of ours to change', async () => {
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    const inputs = JSON.parse(await readFile(path.join(repo, CLI_BUNDLE_INPUTS), 'utf8')) as string[];
    for (const source of ['src/cli/main.ts', 'src/cli/bundle-entry.ts', 'src/host/start-host.ts', 'src/cli/check-data-dir.ts', 'src/replay/recorder.ts', 'scripts/build-cli.ts']) {
      assert.ok(inputs.includes(source), `${source} is not among the bundle's sources`);
    }
    assert.ok(inputs.every((input) => !input.startsWith('node_modules/')));
    // A build plugin's module (`namespace:path`) is no file: listed, it would count as gone and rebuild every start.
    assert.ok(inputs.every((input) => !input.includes(':')), inputs.join(' '));
  });
});
