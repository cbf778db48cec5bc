/**
 * One decoder for every connection: it decodes whole requests only (never a
 * stream), so it keeps no state between calls, and a decoder per connection
 * was a few KiB of each idle connection's memory.
 */
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes`; throws a TypeError when they are not valid UTF-8. */
export function decodeStrictUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
