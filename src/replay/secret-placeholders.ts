import { createHmac, randomBytes } from 'node:crypto';
import { FIELD_RULES, SECRET_FIELDS } from '../book/book-messages.ts';
import { isTaggedEntryKey, SECRET_KEYED_COLLECTIONS, SECRET_MATERIAL_FIELDS } from '../book/book-records.ts';
import { MIN_MASTER_PASSWORD_LENGTH } from '../book/password-book.ts';
import { isJsonObject } from '../json/is-json-object.ts';
import { ReplyChunks, wholeReplyText } from '../protocol/reply-chunks.ts';
import { Secret, SecretJsonText } from '../secret/secret.ts';


/**
 * The lengths at which a rule about a secret changes its answer (too short,
 * too weak for a master password, too long). A placeholder keeps the lower
 * bound of its secret's band, not its length, so a replay's stand-in gets the
 * same verdicts while the recording tells little about the secret.
 */
const LENGTH_BOUNDS: readonly number[] = [
  ...new Set(
    [MIN_MASTER_PASSWORD_LENGTH, ...Object.values(FIELD_RULES).filter((rule) => rule.secret).flatMap((rule) => [rule.minLength, rule.maxLength + 1])].sort(
      (a, b) => a - b,
    ),
  ),
];

function lengthBand(length: number): number {
  return LENGTH_BOUNDS.filter((bound) => bound <= length).at(-1) ?? 0;
}

/** A secret as a recording holds it: `#n` names the same secret everywhere in one recording. */
export interface SecretPlaceholder {
  readonly $secret: string;
  /** The lower bound of the secret's length band (for a `Secret`). */
  readonly atLeast?: number;
  /** Secret material that is not a string (a sealed box): restored as a value, not a Secret. */
  readonly material?: true;
}

/** A secret-named field that held something other than a string: only its JSON type is kept. */
export interface SecretOfType {
  readonly $secretOfType: string;
}

/** Starts an object key that stands for a secret one: no real key starts with NUL (a group key starts with its group). */
const SECRET_KEY_MARK = '\u0000$secret:';

/** An object JSON writes field by field as it is (made by a literal or `JSON.parse`), not a class instance. */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * `items` with `change` applied to each, copied only from the first item that
 * changes: the array itself when none does (most steps hold no secret). A
 * changed item that comes out undefined is written as `missing`.
 */
function mapItems(items: readonly unknown[], change: (item: unknown) => unknown, missing: unknown = undefined): readonly unknown[] {
  let copy: unknown[] | null = null;
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const changed = change(item);
    if (copy === null) {
      if (changed === item) continue;
      copy = items.slice(0, index);
    }
    copy.push(changed === undefined ? missing : changed);
  }
  return copy ?? items;
}

/** Sets a field of a copy; a field named `__proto__` (a user's name as a key) stays a field, as `JSON.parse` made it, instead of replacing the prototype. */
function setField(copy: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  else copy[key] = value;
}

const STAND_INS_BY_TYPE: Readonly<Record<string, () => unknown>> = { number: () => 0, boolean: () => false, null: () => null, array: () => [], object: () => ({}) };

export interface SecretTextPlaceholder {
  readonly $secretText: readonly string[];
  readonly secrets: readonly SecretPlaceholder[];
}

/**
 * Replaces secrets by stable placeholders (`sanitize`) and, for a replay, turns
 * placeholders back into values (`restore`). The same secret gets the same
 * placeholder within one instance, and placeholders are numbered by first
 * appearance, so a replay that meets the same secrets in the same order numbers
 * them the same: that is what lets it reproduce every decision that depends on
 * two secrets being equal, without knowing either.
 *
 * While recording, secrets are known only by an HMAC under a key that lives
 * and dies with the recording: nothing that could be guessed against is kept.
 */
export class SecretPlaceholders {
  readonly #hmacKey = randomBytes(32);
  readonly #numbers = new Map<string, string>();
  /** What each placeholder stands for in this run (a replay's own values, or its stand-ins). */
  readonly #values = new Map<string, unknown>();
  readonly #keepValues: boolean;
  readonly #foreignMaterial: string[] = [];
  #count = 0;

  /** `keepValues` (replay only) remembers each secret so that `restore` can give it back. */
  constructor(options: { keepValues?: boolean } = {}) {
    this.#keepValues = options.keepValues ?? false;
  }

  /**
   * `value` made JSON-safe, with every secret replaced by its placeholder;
   * AbortSignals and functions are left out. What holds nothing to replace is
   * returned as it is, not copied (a recorder sanitizes every event, and most
   * hold no secret): the result may share parts with `value`, so it is for
   * writing out at once, never for keeping. `value` itself is never changed.
   */
  sanitize(value: unknown, field?: string): unknown {
    const secretField = field !== undefined && (SECRET_FIELDS.has(field) || SECRET_MATERIAL_FIELDS.has(field));
    if (!secretField && (typeof value !== 'object' || value === null)) return typeof value === 'function' ? undefined : value;
    if (value instanceof SecretJsonText) {
      return { $secretText: value.pieces, secrets: value.secrets.map((secret) => this.sanitize(secret) as SecretPlaceholder) } satisfies SecretTextPlaceholder;
    }
    // A streamed reply is recorded whole, as the text the client received: a recording is a test tool, and the same text replays the same.
    if (value instanceof ReplyChunks) return wholeReplyText(value);
    if (value instanceof Secret) return { $secret: this.#numberOf(value.reveal(), value), atLeast: lengthBand(value.length) } satisfies SecretPlaceholder;
    // A secret-named field holding a plain string (an adapter that did not seal it) is still a secret.
    if (field !== undefined && SECRET_FIELDS.has(field) && typeof value === 'string') return this.sanitize(new Secret(value));
    // Holding anything else (a client sent a number as its password), it is kept as its type only: that is all a decision about it looks at.
    if (field !== undefined && SECRET_FIELDS.has(field) && value !== undefined) {
      return { $secretOfType: Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value } satisfies SecretOfType;
    }
    if (field !== undefined && SECRET_MATERIAL_FIELDS.has(field) && value !== undefined) {
      return { $secret: this.#numberOf(JSON.stringify(value), value), material: true } satisfies SecretPlaceholder;
    }
    if (value instanceof Uint8Array) {
      return { $secret: this.#numberOf(`bytes:${Buffer.from(value).toString('base64')}`, value), material: true } satisfies SecretPlaceholder;
    }
    if (typeof value === 'function' || value instanceof AbortSignal) return undefined;
    if (Array.isArray(value)) return this.#sanitizeArray(value);
    if (isJsonObject(value)) return this.#sanitizeObject(value);
    return value;
  }

  /** Items as `sanitize` makes them; the array itself when none changes (JSON writes a missing item as `null`, as a copy would hold it). */
  #sanitizeArray(value: readonly unknown[]): readonly unknown[] {
    return mapItems(value, (item) => this.sanitize(item), null);
  }

  /**
   * Fields as `sanitize` makes them; the object itself when no field changes
   * and none is renamed. Only a plain object is returned as it is: another
   * (a class instance) is written as a copy of its own fields, as always.
   */
  #sanitizeObject(value: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    let copy: Record<string, unknown> | null = isPlainObject(value) ? null : {};
    // A store command (or a batch's write) to a collection whose keys hold secret material.
    const secretKey = typeof value['collection'] === 'string' && SECRET_KEYED_COLLECTIONS.has(value['collection']) && typeof value['key'] === 'string';
    const keys = Object.keys(value);
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      const item = value[key];
      const sanitized = secretKey && key === 'key' ? { $secret: this.#numberOf(JSON.stringify(item), item), material: true } : this.sanitize(item, key);
      // The same key as an object's key (a listed group of entries): a placeholder in a string, numbered alike.
      const tagged = isTaggedEntryKey(key);
      if (copy === null) {
        if (sanitized === item && !tagged) continue;
        copy = {};
        for (const earlier of keys.slice(0, index)) if (value[earlier] !== undefined) setField(copy, earlier, value[earlier]);
      }
      if (sanitized !== undefined) setField(copy, tagged ? `${SECRET_KEY_MARK}${this.#numberOf(JSON.stringify(key), key)}` : key, sanitized);
    }
    return copy ?? value;
  }

  /**
   * The inverse of `sanitize`: placeholders become this run's values, or
   * stand-ins of the same length band when it has none. What holds no
   * placeholder is returned as it is (a replay restores every input it feeds).
   */
  restore(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return this.#restoreArray(value);
    const object = value as Readonly<Record<string, unknown>>;
    if (typeof object['$secret'] === 'string') return this.#valueOf(object as unknown as SecretPlaceholder);
    if (typeof object['$secretOfType'] === 'string') return (STAND_INS_BY_TYPE[object['$secretOfType']] ?? (() => null))();
    if (Array.isArray(object['$secretText'])) {
      const text = object as unknown as SecretTextPlaceholder;
      return new SecretJsonText(text.$secretText, text.secrets.map((secret) => this.#valueOf(secret) as Secret));
    }
    return this.#restoreObject(object);
  }

  #restoreArray(value: readonly unknown[]): readonly unknown[] {
    return mapItems(value, (item) => this.restore(item));
  }

  #restoreObject(value: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    let copy: Record<string, unknown> | null = null;
    const keys = Object.keys(value);
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      const item = value[key];
      const marked = key.startsWith(SECRET_KEY_MARK);
      // The key first, as it always was: numbering follows first appearance.
      const restoredKey = marked ? String(this.#valueOf({ $secret: key.slice(SECRET_KEY_MARK.length), material: true })) : key;
      const restored = this.restore(item);
      if (copy === null) {
        if (restored === item && !marked) continue;
        copy = {};
        for (const earlier of keys.slice(0, index)) setField(copy, earlier, value[earlier]);
      }
      setField(copy, restoredKey, restored);
    }
    return copy ?? value;
  }

  /** Placeholders of secret material this run never produced (saved before the recording began): decisions about it cannot be replayed. */
  get foreignMaterial(): readonly string[] {
    return this.#foreignMaterial;
  }

  #numberOf(text: string, value: unknown): string {
    const key = this.#keyOf(text);
    let number = this.#numbers.get(key);
    if (number === undefined) {
      number = `#${++this.#count}`;
      this.#numbers.set(key, number);
      if (this.#keepValues) this.#values.set(number, value instanceof Secret ? value.reveal() : value);
    }
    return number;
  }

  /** What a secret is known by here: its HMAC, never its text. */
  #keyOf(text: string): string {
    return createHmac('sha256', this.#hmacKey).update(text).digest('base64');
  }

  #valueOf(placeholder: SecretPlaceholder): unknown {
    if (!this.#values.has(placeholder.$secret)) {
      // A secret from outside this run (typed by a client, or saved before the recording began): invent one.
      const number = Number(placeholder.$secret.slice(1));
      const standIn = placeholder.material ? `stand-in material ${placeholder.$secret}` : standInText(placeholder.$secret, placeholder.atLeast ?? 1);
      if (placeholder.material) this.#foreignMaterial.push(placeholder.$secret);
      this.#values.set(placeholder.$secret, standIn);
      this.#numbers.set(this.#keyOf(placeholder.material ? JSON.stringify(standIn) : standIn), placeholder.$secret);
      this.#count = Math.max(this.#count, number);
    }
    const value = this.#values.get(placeholder.$secret);
    return placeholder.material ? value : new Secret(value as string);
  }
}

/** A made-up secret, unique to its placeholder, whose length is in the recorded band (`~3` or `~3······`). */
function standInText(number: string, band: number): string {
  const unique = `~${Number(number.slice(1)).toString(36)}`;
  return unique.padEnd(Math.max(band, unique.length), '·');
}
