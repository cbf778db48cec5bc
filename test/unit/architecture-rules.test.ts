import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { run } from '../helpers/safekeep-process.ts';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/architecture-violations/', import.meta.url));

describe('the architecture rules that npm run lint enforces', () => {
  it('catch each kind of forbidden import', async () => {
    const { code, stdout } = await run(
      process.execPath,
      [`${PROJECT}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`, 'src', 'machines', 'adapters', '--config', `${PROJECT}.dependency-cruiser.cjs`, '--output-type', 'err'],
      { cwd: FIXTURE },
    );
    assert.notEqual(code, 0);
    for (const [rule, violation] of [
      ['adapters-never-import-each-other', 'adapters/socket/socket.ts → adapters/store/store.ts'],
      ['adapters-never-import-machines', 'adapters/socket/socket.ts → machines/job.machine.ts'],
      ['adapters-never-import-the-host', 'adapters/socket/socket.ts → src/host/host.ts'],
      ['machines-do-no-io', 'machines/job.machine.ts → fs/promises'],
      ['domain-never-imports-edges', 'src/backup/domain.ts → adapters/store/store.ts'],
    ]) {
      assert.ok(stdout.includes(`${rule}: ${violation}`), `${rule} did not fire:\n${stdout}`);
    }
  });
});
