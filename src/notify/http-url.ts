/**
 * Why `text` cannot be a webhook or heartbeat URL, or null when it can: it
 * must be a whole http:// or https:// URL. The reason names the scheme at
 * most, never the rest: such URLs usually carry their token in the path, and
 * the reason may end up in a journal.
 *
 * @example
 * httpUrlProblem('https://hc-ping.com/5b2c…'); // null
 * httpUrlProblem('ftp://files.example.com/x'); // 'must be an http:// or https:// URL, not a ftp: one'
 */
export function httpUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return 'is not a URL; give a whole one, such as https://hooks.example.com/…';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, not a ${url.protocol} one`;
  return null;
}
