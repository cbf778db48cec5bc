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

describe('the password book reference', () => {
  it('in the README is the one rendered from the message declarations (run `npm run docs` after changing them)', async () => {
    const { renderBookReference } = await import('../../src/book/book-reference.ts');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = /<!-- book-reference:start -->\n([\s\S]*?)\n<!-- book-reference:end -->/.exec(readme)?.[1];
    assert.equal(section, renderBookReference());
  });

  it('names only error codes that exist', async () => {
    const { BOOK_MESSAGES, COMMON_ERRORS } = await import('../../src/book/book-messages.ts');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const named = new Set([...Object.values(BOOK_MESSAGES).flatMap((spec) => [...spec.errors]), ...COMMON_ERRORS]);
    for (const code of named) assert.match(readme, new RegExp(`\\| \`${code}\` \\|`), `${code} is not in the README's error table`);
  });
});
