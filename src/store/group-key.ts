/**
 * Keys may be grouped: `groupKey('ann', 'x')` is a key of group `ann`, and a
 * `list` or `keys` of that group costs the size of the group, not of the
 * collection (a user's entries among every user's).
 */
export const GROUP_SEPARATOR = '\u0000';

export function groupKey(group: string, rest: string): string {
  return `${group}${GROUP_SEPARATOR}${rest}`;
}
