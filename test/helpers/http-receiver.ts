import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, body read whole. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A real HTTP server on 127.0.0.1:0 that stands for a webhook or heartbeat
 * receiver: it records every request and answers with `status`, or, with
 * `hang`, never answers (a receiver that is up but stuck).
 */
export async function startReceiver(options: { status?: number; hang?: boolean } = {}) {
  const received: Received[] = [];
  const waiting: (() => void)[] = [];
  let taken = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      waiting.splice(0).forEach((wake) => wake());
      if (!options.hang) response.writeHead(options.status ?? 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    /** The next request not yet taken, waiting for it to arrive. */
    async next(): Promise<Received> {
      while (received.length <= taken) await new Promise<void>((resolve) => waiting.push(resolve));
      return received[taken++] as Received;
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
