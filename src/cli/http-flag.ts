import { wholeNumber } from './whole-number.ts';

/** Where `--http` serves the status page, /metrics and /healthz. */
export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `--http`'s value: `PORT`, `HOST:PORT` or `[v6]:PORT`, with a port from 0 (a
 * free one) to 65535; the host defaults to loopback, since the page has no
 * login. Undefined when the value is none of these.
 *
 * @example
 * httpAddress('8080'); // { host: '127.0.0.1', port: 8080 }
 * httpAddress('[::1]:0'); // { host: '::1', port: 0 }
 * httpAddress('localhost'); // undefined
 */
export function httpAddress(text: string): HttpAddress | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const port = wholeNumber(trimmed, 0, 65_535);
    return port === undefined ? undefined : { host: '127.0.0.1', port };
  }
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d+)$/.exec(trimmed);
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3] === undefined ? undefined : wholeNumber(match[3], 0, 65_535);
  return host === undefined || port === undefined ? undefined : { host, port };
}
