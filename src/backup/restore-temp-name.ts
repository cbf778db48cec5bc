import { createHash } from 'node:crypto';

/**
 * Most file systems allow 255 bytes per name. A restore's temp name is the
 * target's name plus a mark and an id, so a target named near that limit
 * would make the temp name too long: past this many bytes the target's name
 * is shortened instead.
 */
const MAX_KEPT_NAME_BYTES = 120;
const KEPT_PREFIX_BYTES = 80;

/**
 * The part of a restore's temp name that stands for the target's name: the
 * name itself when short, else its first bytes (cut on a character boundary)
 * and a hash of the whole, so it stays recognisable and distinct from any
 * other target's in the same folder.
 *
 * @example
 * boundedTargetName('notes.md'); // 'notes.md'
 */
export function boundedTargetName(name: string): string {
  if (Buffer.byteLength(name) <= MAX_KEPT_NAME_BYTES) return name;
  let prefix = '';
  for (const character of name) {
    if (Buffer.byteLength(prefix + character) > KEPT_PREFIX_BYTES) break;
    prefix += character;
  }
  return `${prefix}~${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}
