import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as safekeep from '../../src/index.ts';

describe('error codes', () => {
  it('are each documented in the README', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    type ErrorClass = new (message: string) => safekeep.SafekeepError;
    const errorClasses = Object.values(safekeep as Record<string, unknown>).filter(
      (value): value is ErrorClass =>
        typeof value === 'function' && value.prototype instanceof safekeep.SafekeepError,
    );
    assert.ok(errorClasses.length >= 15);
    const codes = [...errorClasses.map((ErrorClass) => new ErrorClass('').code), 'INTERNAL'];
    for (const code of codes) assert.match(readme, new RegExp(`\\| \`${code}\` \\|`), `${code} is not in the README's error table`);
  });
});
