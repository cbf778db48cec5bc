#!/usr/bin/env node
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/**
 * The built `safekeep` command (`dist/src/cli/main.js`, the package's bin;
 * scripts/build-cli.ts builds it): runs the command's one-file bundle with a
 * V8 code cache beside it.
 *
 * Compiling the bundle was the largest part of a start left once it was one
 * file (V8 parses 500 kB, then compiles each function as it first runs).
 * Node 20 keeps no compile cache of its own (`module.enableCompileCache` is
 * Node 22), so the bundle is CommonJS run through `vm.Script` with the code
 * V8 produced on an earlier run: a start then skips most of the compiling.
 *
 * The cache lives next to the bundle, where only who may change the bundle
 * may write it (never a shared temp folder: a cache is code). Its name holds
 * the bundle's hash, Node's version and (when there are any) node's flags, so
 * a rebuild, another Node or other flags never read a cache made for
 * something else (V8 would refuse one made under other flags). A run that found none, or had its cache refused, writes one a few
 * seconds in (the functions a start and a first backup use are compiled by
 * then), and if it cannot (a read-only install) runs on without one.
 */
declare const SAFEKEEP_BUNDLE_HASH: string;

/** Long enough for a start and its first backup to have compiled what they use; short lived commands leave no cache. */
const WRITE_CACHE_AFTER_MS = 3_000;

/**
 * Node's own flags that leave V8's code as it is (tried: V8 takes a plain
 * start's cache under them), with how many values follow each when not
 * given as `--flag=value`. A profiled start then reads the cache a plain
 * start does, as it should to profile a plain start.
 */
const FLAGS_V8_IGNORES: ReadonlyMap<string, number> = new Map([
  ['--cpu-prof', 0],
  ['--cpu-prof-dir', 1],
  ['--cpu-prof-name', 1],
  ['--cpu-prof-interval', 1],
  ['--enable-source-maps', 0],
]);

const bundle = fileURLToPath(new URL('./safekeep.cjs', import.meta.url));
const cacheFile = `${bundle}.${SAFEKEEP_BUNDLE_HASH}.${process.version}${flagsSuffix(process.execArgv)}.v8cache`;
const cachedData = readIfPresent(cacheFile);
const source = readFileSync(bundle, 'utf8');
// A `#!` line is allowed only at a script's very start: inside the wrapper it becomes a comment (same length, same lines).
const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
// The module wrapper Node gives CommonJS, made strict: the bundle is ES module code, which assumes it.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { 'use strict'; ${body}\n})`, {
  filename: bundle,
  ...(cachedData ? { cachedData } : {}),
});
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
if (!cachedData || script.cachedDataRejected) setTimeout(writeCache, WRITE_CACHE_AFTER_MS).unref();

/**
 * V8 refuses a cache made under other V8 flags (`--expose-gc`, a heap size…):
 * each set of other node flags keeps its own, so that a run with flags (a
 * bench's) does not replace the cache every plain start reads.
 */
function flagsSuffix(execArgv: readonly string[]): string {
  const flags: string[] = [];
  for (let index = 0; index < execArgv.length; index++) {
    const flag = execArgv[index] as string;
    const name = flag.split('=', 1)[0] as string;
    const values = FLAGS_V8_IGNORES.get(name);
    if (values === undefined) flags.push(flag);
    else if (!flag.includes('=')) index += values;
  }
  if (flags.length === 0) return '';
  // FNV-1a: a name, not a secret, and no crypto module to load before the program.
  let hash = 0x811c9dc5;
  for (const char of flags.join('\0')) hash = Math.imul(hash ^ (char.codePointAt(0) as number), 0x01000193) >>> 0;
  return `.flags-${hash.toString(16).padStart(8, '0')}`;
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (temp file, rename), as two starts may both write it. */
function writeCache(): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, script.createCachedData(), { mode: 0o644 });
    renameSync(temp, cacheFile);
  } catch {
    // A folder this user cannot write: every start compiles, as without a cache.
    try {
      unlinkSync(temp);
    } catch {
      // never made
    }
  }
}
