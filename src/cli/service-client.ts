import net from 'node:net';

/** An answer from a running service: its result, or the error it replied with. */
export type ServiceAnswer =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** The service could not be asked (nothing listens, no answer in time, a reply that is not JSON). */
export class ServiceUnreachableError extends Error {
  override readonly name = 'ServiceUnreachableError';
}

/**
 * Sends one JSON-dialect request (`{"type": …, "id": 1, …}` on its own line)
 * and resolves with its reply, closing the connection after. `timeoutMs`
 * bounds the connect and the answer together.
 *
 * @example
 * const answer = await askService('127.0.0.1', 12345, { type: 'backup.status' }, 5_000);
 */
export function askService(host: string, port: number, request: Readonly<Record<string, unknown>>, timeoutMs: number): Promise<ServiceAnswer> {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffer = '';
    let connected = false;
    const fail = (why: string) => {
      socket.destroy();
      reject(new ServiceUnreachableError(why));
    };
    const timer = setTimeout(
      () => fail(connected ? `safekeep at ${where} did not answer within ${timeoutMs} ms` : `could not connect to ${where} within ${timeoutMs} ms`),
      timeoutMs,
    );
    socket.once('close', () => {
      clearTimeout(timer);
      fail(`safekeep at ${where} closed the connection without answering`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(
        error.code === 'ECONNREFUSED'
          ? `nothing is listening on ${where}: is safekeep running there? (set --host/--port, --config, SAFEKEEP_PORT)`
          : `cannot reach ${where}: ${error.message}`,
      );
    });
    socket.once('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ ...request, id: 1 })}\n`);
    });
    socket.setEncoding('utf8').on('data', (text: string) => {
      buffer += text;
      const end = buffer.indexOf('\n');
      if (end === -1) return;
      clearTimeout(timer);
      let reply: Record<string, unknown>;
      try {
        reply = JSON.parse(buffer.slice(0, end)) as Record<string, unknown>;
      } catch {
        fail(`${where} answered something that is not safekeep's JSON: ${buffer.slice(0, Math.min(end, 80))}`);
        return;
      }
      socket.removeAllListeners('close');
      socket.end();
      resolve(reply['ok'] === true ? { ok: true, result: reply['result'] } : { ok: false, error: reply['error'] as { code: string; message: string } });
    });
  });
}
