/**
 * What may be printed of a notification URL: its origin (scheme, host and
 * port). Paths and queries of webhook and heartbeat URLs often are the token
 * (`https://hc-ping.com/<uuid>`, `…/hooks/<secret>`), and user:password may
 * sit before the host, so neither is ever logged.
 *
 * @example
 * targetOrigin('https://user:pw@hooks.example.com/T0/B1/XYZ?x=1'); // 'https://hooks.example.com'
 */
export function targetOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    // Schemes the URL standard gives no origin (redis:, smtp:…) say 'null'; their host is still safe to name.
    return parsed.origin === 'null' ? `${parsed.protocol}//${parsed.host}` : parsed.origin;
  } catch {
    return 'an unreadable URL';
  }
}

/** A scheme, `://`, and everything up to a space or a quote: a URL as it appears in a line of output. */
const URL_IN_TEXT = /\b[a-z][a-z\d+.-]*:\/\/[^\s"'`<>]+/gi;
/** Punctuation a sentence may put right after a URL, kept outside it: `(see https://x/y).` */
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

/**
 * `text` with every URL in it cut to its origin (targetOrigin), for output
 * that is not ours to trust: an `--on-failure` command run under `set -x`, or
 * `curl -v`, prints the webhook URL it was given, token and all, and its last
 * line goes into `notify.failed`'s reason (the log, the console, recordings).
 *
 * @example
 * urlsAsOrigins('+ curl -fsS https://hc-ping.com/5b2c9a1e/fail'); // '+ curl -fsS https://hc-ping.com'
 */
export function urlsAsOrigins(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    const trailing = TRAILING_PUNCTUATION.exec(match)?.[0] ?? '';
    return targetOrigin(match.slice(0, match.length - trailing.length)) + trailing;
  });
}
