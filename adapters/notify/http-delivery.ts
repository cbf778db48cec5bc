import { setTimeout as sleep } from 'node:timers/promises';
import { DeliveryError } from './delivery-error.ts';

export interface HttpDelivery {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** Sent as `application/json` (POST only). */
  readonly json?: unknown;
  /** One attempt's limit, connecting to the end of the answer's headers. */
  readonly timeoutMs: number;
  /** Waits before each further attempt; `[]` tries once. Only timeouts, network errors, 429 and 5xx are tried again. */
  readonly retryDelaysMs: readonly number[];
  /** Aborting gives up at once, mid-attempt or mid-wait. */
  readonly signal: AbortSignal;
}

/**
 * One webhook POST or heartbeat GET, with a time limit per attempt and a few
 * retries with backoff. Resolves on a 2xx answer; rejects with a
 * DeliveryError whose message never holds the URL (only the caller knows
 * which part of it is safe to print).
 *
 * @example
 * await deliverHttp({ method: 'POST', url, json: body, timeoutMs: 10_000, retryDelaysMs: [1_000, 5_000], signal });
 */
export async function deliverHttp(delivery: HttpDelivery): Promise<void> {
  const attempts = delivery.retryDelaysMs.length + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      await attemptOnce(delivery);
      return;
    } catch (error) {
      // Anything else's message might quote the URL: not repeated.
      const failure = error instanceof DeliveryError ? error : new DeliveryError('the request could not be made', { retryable: false, cause: error });
      const delay = delivery.retryDelaysMs[attempt - 1];
      if (!failure.retryable || delay === undefined || delivery.signal.aborted) {
        throw attempts > 1 && failure.retryable ? new DeliveryError(`${failure.message} (after ${attempt} attempts)`, { retryable: true, cause: failure }) : failure;
      }
      await sleep(delay, undefined, { signal: delivery.signal }).catch(() => undefined);
      if (delivery.signal.aborted) throw new DeliveryError(`${failure.message}; gave up because the service is stopping`, { retryable: false, cause: failure });
    }
  }
}

async function attemptOnce({ method, url, json, timeoutMs, signal }: HttpDelivery): Promise<void> {
  const { target, authorization } = withoutCredentials(url);
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(target, {
      method,
      signal: AbortSignal.any([signal, timeout]),
      headers: {
        'user-agent': 'safekeep',
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        ...(authorization === undefined ? {} : { authorization }),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  } catch (error) {
    if (signal.aborted) throw new DeliveryError('abandoned because the service is stopping', { retryable: false, cause: error });
    if (timeout.aborted) throw new DeliveryError(`no answer within ${formatSeconds(timeoutMs)}`, { retryable: true, cause: error });
    throw new DeliveryError(networkReason(error), { retryable: true, cause: error });
  }
  // Nothing in the body is wanted; reading it to the end would only let a slow receiver hold the queue.
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return;
  const retryable = response.status === 429 || response.status >= 500;
  throw new DeliveryError(`answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, { retryable });
}

/**
 * `https://user:pw@host/…` as the URL without them plus a Basic
 * authorization header: fetch refuses URLs that hold credentials, and
 * receivers behind basic auth are common.
 */
function withoutCredentials(url: string): { target: URL; authorization: string | undefined } {
  const target = new URL(url);
  if (target.username === '' && target.password === '') return { target, authorization: undefined };
  const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
  target.username = '';
  target.password = '';
  return { target, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** Why a request never got an answer, by the OS's code (undici hides it in `cause`); never the URL. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name not found (${code})`;
    case undefined:
      return 'the request failed';
    default:
      return `the request failed (${code})`;
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
