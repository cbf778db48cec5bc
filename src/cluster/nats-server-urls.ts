/** NATS servers to connect to, with the credentials their URLs carried taken out (the client ignores credentials in a URL). */
export interface NatsServerList {
  /** `nats://HOST[:PORT]` or `tls://HOST[:PORT]`, without credentials: safe to show. */
  readonly servers: readonly string[];
  /** From `nats://USER:PASSWORD@HOST`. */
  readonly user?: string;
  readonly pass?: string;
  /** From `nats://TOKEN@HOST`. */
  readonly token?: string;
}

/** Which entry of the list is wrong (counted from 1) and why, never its text: it may hold a password. */
export interface WrongServer {
  readonly position: number;
  readonly why: string;
}

/**
 * Reads `--cluster`'s server URLs: `nats://` or `tls://`, a host, an optional port, and optional credentials
 * (`user:password@` or `token@`, percent-encoded where needed). The NATS client takes credentials only as
 * connection options, and one set per connection, so they are split off here; servers without credentials
 * use those of the others, and two different sets are refused.
 *
 * @example
 * natsServerList(['nats://app:s3cret@10.0.0.1:4222', 'nats://10.0.0.2:4222']);
 * // { servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], user: 'app', pass: 's3cret' }
 * natsServerList(['nats://a:4222', 'http://b']); // { position: 2, why: 'not nats:// or tls://' }
 */
export function natsServerList(urls: readonly string[]): NatsServerList | WrongServer {
  const servers: string[] = [];
  let credentials: { user?: string; pass?: string; token?: string } | null = null;
  for (const [index, text] of urls.entries()) {
    const position = index + 1;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { position, why: 'not a URL' };
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') return { position, why: 'not nats:// or tls://' };
    if (url.hostname === '') return { position, why: 'no host' };
    if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') return { position, why: 'more than a host and port' };
    if (url.password !== '' && url.username === '') return { position, why: 'a password without a user' };
    servers.push(`${url.protocol}//${url.host}`);
    if (url.username === '') continue;
    const user = safeDecode(url.username);
    const pass = safeDecode(url.password);
    if (user === null || pass === null) return { position, why: 'credentials that are not percent-encoded right' };
    const these = url.password === '' ? { token: user } : { user, pass };
    if (credentials && (credentials.user !== these.user || credentials.pass !== these.pass || credentials.token !== these.token)) {
      return { position, why: "credentials other than an earlier server's (one connection uses one user and password, or one token)" };
    }
    credentials = these;
  }
  if (servers.length === 0) return { position: 1, why: 'no server at all' };
  return { servers, ...credentials };
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
