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
    return new URL(url).origin;
  } catch {
    return 'an unreadable URL';
  }
}
