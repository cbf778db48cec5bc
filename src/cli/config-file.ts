import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { configKeyOf, nearest, NOT_SETTINGS, PATH_OPTIONS, type OptionTable } from './config-keys.ts';

/** Where a setting was written: its file, key path and line, for error messages. */
export interface FileOrigin {
  readonly kind: 'file';
  readonly file: string;
  /** `port`, or `jobs[0].interval`. */
  readonly key: string;
  readonly line: number;
}

/** A value as parseArgs would have produced it from flags. */
export type OptionValue = string | boolean | string[];

/** One entry of `jobs`, as the flags that would say the same (`--source P --interval 5m …`). */
export interface JobEntry {
  readonly index: number;
  readonly line: number;
  readonly argv: readonly string[];
  /** Flag name → where its value was written, to place a rejected value. */
  readonly origins: ReadonlyMap<string, FileOrigin>;
  /**
   * `"shared": true`: in a cluster, the source is on storage every node sees
   * (what `--shared-source` says of the command line's sources). Not a flag of
   * its own job line: `--shared-source` alone would ask for `--cluster` there.
   */
  readonly shared?: { readonly value: boolean; readonly origin: FileOrigin };
}

/** A config file, read and checked against the option table. */
export interface ConfigFile {
  readonly file: string;
  readonly values: ReadonlyMap<string, OptionValue>;
  readonly origins: ReadonlyMap<string, FileOrigin>;
  readonly jobs: readonly JobEntry[];
}

/** A config file that cannot be used, with where and why. Exit code 2, like a bad flag. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

/** What optionValue says of a value of the wrong JSON type. */
class WrongType {
  constructor(readonly message: string) {}
}

/** A `jobs` entry's key for `--shared-source` (a cluster's job whose source every node sees). */
const SHARED_KEY = 'shared';

/** The flags a `jobs` entry may hold (besides `source`): how often, what to leave out, what to keep. */
const JOB_FLAGS = ['source', 'interval', 'exclude', 'keep', 'keep-last', 'keep-hourly', 'keep-daily', 'keep-weekly', 'keep-monthly', 'keep-yearly'];

/**
 * Reads `file` (JSON; comments and trailing commas allowed) into the values
 * the flags of `table` would produce, with paths made absolute from the
 * file's folder. Throws ConfigFileError naming the file, line and key.
 */
export function readConfigFile(file: string, table: OptionTable): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigFileError(`config file ${file}: cannot be read (${code === 'ENOENT' ? 'not found' : (code ?? String(error))})`);
  }
  return parseConfigText(text, file, table);
}

/** As readConfigFile, for text already read (`file` names it and gives relative paths their base). */
export function parseConfigText(text: string, file: string, table: OptionTable): ConfigFile {
  const lineOf = lineFinder(text);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const syntax = errors[0];
  if (syntax) {
    const { line, column } = lineOf(syntax.offset);
    throw new ConfigFileError(`config file ${file}, line ${line}, column ${column}: JSON syntax error (${printParseErrorCode(syntax.error)})`);
  }
  if (root?.type !== 'object') throw new ConfigFileError(`config file ${file}: must hold one JSON object, such as {"port": 12345}`);

  const base = path.dirname(path.resolve(file));
  const at: Locator = {
    fail: (node, key, what) => {
      throw new ConfigFileError(`config file ${file}, line ${lineOf(node.offset).line}, key "${key}": ${what}`);
    },
    origin: (node, key) => ({ kind: 'file', file, key, line: lineOf(node.offset).line }),
  };
  const flags = new Map(Object.keys(table).filter((flag) => !NOT_SETTINGS.has(flag)).map((flag) => [configKeyOf(flag), flag]));
  const values = new Map<string, OptionValue>();
  const origins = new Map<string, FileOrigin>();
  let jobs: JobEntry[] = [];
  for (const [key, keyNode, valueNode] of properties(root, '', at)) {
    if (key === 'jobs') {
      jobs = readJobs(valueNode, table, base, at);
      continue;
    }
    const flag = flags.get(key);
    if (flag === undefined) {
      if (key === 'config') at.fail(keyNode, key, 'a config file cannot name another one');
      const guess = nearest(key, [...flags.keys(), 'jobs']);
      at.fail(keyNode, key, `is not a setting${guess ? `; did you mean "${guess}"?` : ''} (keys are the long flags in camelCase: --data-dir is "dataDir")`);
    }
    const value = optionValue(valueNode, table[flag as string]!, PATH_OPTIONS.has(flag as string) ? base : null);
    if (value instanceof WrongType) at.fail(valueNode, key, value.message);
    values.set(flag as string, value as OptionValue);
    origins.set(flag as string, at.origin(valueNode, key));
  }
  return { file, values, origins, jobs };
}

/** How a reader of the file says where a problem is, and where a value was written. */
interface Locator {
  fail(node: Node, key: string, what: string): never;
  origin(node: Node, key: string): FileOrigin;
}

/** An object's properties as [key, key node, value node]; a key written twice is refused (JSON would silently keep the last). */
function properties(object: Node, prefix: string, at: Locator): [string, Node, Node][] {
  const seen = new Map<string, Node>();
  return (object.children ?? []).map((property) => {
    const [keyNode, valueNode] = property.children as [Node, Node];
    const key = keyNode.value as string;
    if (seen.has(key)) at.fail(keyNode, `${prefix}${key}`, `is given twice (also on line ${at.origin(seen.get(key) as Node, key).line})`);
    seen.set(key, keyNode);
    return [key, keyNode, valueNode];
  });
}

/**
 * A JSON value as parseArgs would give the flag: strings as they are, numbers
 * as their digits (the flag's own check judges them), booleans for switches,
 * a list (or one string) for a repeatable flag; WrongType when the type is wrong.
 */
function optionValue(node: Node, shape: OptionTable[string], base: string | null): OptionValue | WrongType {
  const resolve = (text: string) => (base === null || text.trim() === '' ? text : path.resolve(base, text));
  if (shape.type === 'boolean') return node.type === 'boolean' ? (node.value as boolean) : new WrongType('must be true or false');
  if (shape.multiple) {
    if (node.type === 'string') return [resolve(node.value as string)];
    if (node.type !== 'array' || !node.children?.every((item) => item.type === 'string')) return new WrongType('must be a list of strings, such as ["a", "b"]');
    return node.children.map((item) => resolve(item.value as string));
  }
  if (node.type === 'number') return String(node.value);
  if (node.type === 'string') return resolve(node.value as string);
  return new WrongType('must be a string or a number');
}

function readJobs(node: Node, table: OptionTable, base: string, at: Locator): JobEntry[] {
  if (node.type !== 'array') at.fail(node, 'jobs', 'must be a list of jobs, such as [{"source": "notes.txt", "interval": "5m"}]');
  const keys = new Map(JOB_FLAGS.map((flag) => [configKeyOf(flag), flag]));
  return (node.children ?? []).map((entry, index) => {
    const where = `jobs[${index}]`;
    if (entry.type !== 'object') at.fail(entry, where, 'must be an object such as {"source": "notes.txt"}');
    const argv: string[] = [];
    const origins = new Map<string, FileOrigin>();
    let shared: JobEntry['shared'];
    for (const [key, keyNode, valueNode] of properties(entry, `${where}.`, at)) {
      if (key === SHARED_KEY) {
        if (valueNode.type !== 'boolean') at.fail(valueNode, `${where}.${key}`, 'must be true or false');
        shared = { value: valueNode.value as boolean, origin: at.origin(valueNode, `${where}.${key}`) };
        continue;
      }
      const flag = keys.get(key);
      if (flag === undefined) {
        const guess = nearest(key, [...keys.keys(), SHARED_KEY]);
        at.fail(keyNode, `${where}.${key}`, `is not a job setting${guess ? `; did you mean "${guess}"?` : ''} (a job holds ${[...keys.keys(), SHARED_KEY].join(', ')})`);
      }
      const value = optionValue(valueNode, table[flag as string] ?? { type: 'string' }, flag === 'source' ? base : null);
      if (value instanceof WrongType) at.fail(valueNode, `${where}.${key}`, value.message);
      if (flag === 'source' && Array.isArray(value) && value.length !== 1) at.fail(valueNode, `${where}.${key}`, 'must be one path (each job backs up one file or folder)');
      for (const word of Array.isArray(value) ? value : [String(value as string)]) argv.push(`--${flag}`, word);
      origins.set(flag as string, at.origin(valueNode, `${where}.${key}`));
    }
    if (!origins.has('source')) at.fail(entry, where, 'needs "source", the file or folder to back up');
    return { index, line: at.origin(entry, where).line, argv, origins, ...(shared ? { shared } : {}) };
  });
}

/** Offset → 1-based line and column. */
function lineFinder(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let line = 0;
    while (line + 1 < starts.length && (starts[line + 1] as number) <= offset) line++;
    return { line: line + 1, column: offset - (starts[line] as number) + 1 };
  };
}
