import { SECRET_FIELDS } from '../book/book-messages.ts';
import { isJsonObject } from '../json/is-json-object.ts';
import { Secret } from '../secret/secret.ts';
import type { TransportProblem } from './messages.ts';

export type DecodedJsonRequest =
  | { readonly body: Readonly<Record<string, unknown>> }
  | { readonly problem: Extract<TransportProblem, 'invalid-json' | 'not-an-object'> };

/**
 * Parses one framed JSON object for the bus. Before anything else can see it,
 * every string under a secret-named key (`password`, `masterPassword`,
 * `token`…, at any depth) becomes a `Secret`, so the request's passwords never
 * appear in an event, a log line or a recording. The parser's own error
 * message is dropped: it quotes the input, which may hold a password.
 */
export function decodeJsonRequest(text: string): DecodedJsonRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'invalid-json' };
  }
  if (!isJsonObject(value)) return { problem: 'not-an-object' };
  return { body: sealSecrets(value) as Record<string, unknown> };
}

/**
 * A copy of a parsed JSON value with each secret-named field's string sealed.
 * Iterative, with its own stack of containers still to copy: the value came
 * from a client, and no nesting, however deep, may overflow the call stack.
 */
export function sealSecrets(value: unknown): unknown {
  const toFill: { readonly source: object; readonly copy: unknown[] | Record<string, unknown> }[] = [];
  const copyOf = (item: unknown): unknown => {
    if (typeof item !== 'object' || item === null) return item;
    const copy = Array.isArray(item) ? [] : {};
    toFill.push({ source: item, copy });
    return copy;
  };
  const root = copyOf(value);
  for (let next = toFill.pop(); next; next = toFill.pop()) {
    const { source, copy } = next;
    if (Array.isArray(copy)) {
      for (const item of source as unknown[]) copy.push(copyOf(item));
      continue;
    }
    for (const [key, field] of Object.entries(source)) {
      // Defined, not assigned: a `__proto__` key from the wire stays a plain key.
      Object.defineProperty(copy, key, {
        value: SECRET_FIELDS.has(key) && typeof field === 'string' ? new Secret(field) : copyOf(field),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return root;
}
