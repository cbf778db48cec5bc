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

function sealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sealSecrets);
  if (typeof value !== 'object' || value === null) return value;
  // fromEntries defines properties, so a `__proto__` key from the wire stays a plain key.
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key, SECRET_FIELDS.has(key) && typeof field === 'string' ? new Secret(field) : sealSecrets(field)]),
  );
}
