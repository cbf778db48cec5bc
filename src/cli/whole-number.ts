/**
 * `text` as a whole number from `min` to `max`, or undefined: digits only
 * (surrounding spaces allowed), so `1e3`, `0x10` and `-1` are refused rather
 * than read as something the user did not write.
 *
 * @example
 * wholeNumber('8080', 0, 65_535); // 8080
 * wholeNumber('1e3', 0, 65_535); // undefined
 */
export function wholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}
