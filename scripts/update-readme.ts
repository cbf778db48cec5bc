// Rewrites the generated parts of README.md from the code (`npm run docs`).
import { readFile, writeFile } from 'node:fs/promises';
import { renderBookReference } from '../src/book/book-reference.ts';

const README = new URL('../README.md', import.meta.url);
const START = '<!-- book-reference:start -->';
const END = '<!-- book-reference:end -->';

const text = await readFile(README, 'utf8');
const start = text.indexOf(START);
const end = text.indexOf(END);
if (start === -1 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
await writeFile(README, `${text.slice(0, start + START.length)}\n${renderBookReference()}\n${text.slice(end)}`);
