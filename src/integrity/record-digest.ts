import { createHash } from 'node:crypto';

/**
 * A record's own checksum: SHA-256 of its canonical JSON (keys sorted at
 * every level), without its `digest` field. Records that hold what cannot be
 * checked without a key (sealed entries, the catalog's versions and jobs)
 * carry one, so a flipped byte is found by `safekeep check` offline and
 * contained to that one record online. It guards against damage, not against
 * someone who can rewrite the record and its digest together: the sealed
 * boxes' own authentication does that.
 *
 * @example
 * const stored = withDigest({ id: 'notes@3', size: 10 });
 * digestState(stored); // 'intact'
 */
export function recordDigest(record: object): string {
  const { digest: _ignored, ...rest } = record as { digest?: unknown };
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The record with its `digest` set (replacing any old one). */
export function withDigest<T extends object>(record: T): T & { readonly digest: string } {
  return { ...record, digest: recordDigest(record) };
}

/**
 * `intact` when the stored digest matches, `damaged` when it does not (or is
 * not a digest), `unchecked` for a record written before digests existed.
 */
export function digestState(record: object): 'intact' | 'damaged' | 'unchecked' {
  const stored = (record as { digest?: unknown }).digest;
  if (stored === undefined) return 'unchecked';
  return typeof stored === 'string' && stored === recordDigest(record) ? 'intact' : 'damaged';
}

/** JSON with object keys sorted, so equal records always hash alike. Iterative: a record's depth cannot exhaust the stack. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Work items: a value to write, or a literal piece of text.
  const stack: ({ value: unknown } | { text: string })[] = [{ value }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown } | { text: string };
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const current = item.value;
    if (Array.isArray(current)) {
      const parts: ({ value: unknown } | { text: string })[] = [{ text: '[' }];
      current.forEach((element, index) => {
        if (index > 0) parts.push({ text: ',' });
        parts.push({ value: element === undefined ? null : element });
      });
      parts.push({ text: ']' });
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i] as { value: unknown } | { text: string });
    } else if (typeof current === 'object' && current !== null) {
      const keys = Object.keys(current)
        .filter((key) => (current as Record<string, unknown>)[key] !== undefined)
        .sort();
      const parts: ({ value: unknown } | { text: string })[] = [{ text: '{' }];
      keys.forEach((key, index) => {
        parts.push({ text: `${index > 0 ? ',' : ''}${JSON.stringify(key)}:` });
        parts.push({ value: (current as Record<string, unknown>)[key] });
      });
      parts.push({ text: '}' });
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i] as { value: unknown } | { text: string });
    } else {
      out.push(JSON.stringify(current) ?? 'null');
    }
  }
  return out.join('');
}
