import { hostname } from 'node:os';
import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import type { NotifyChannel, NotifyFailed } from '../../src/notify/events.ts';
import { httpUrlProblem } from '../../src/notify/http-url.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { deliverHttp } from './http-delivery.ts';
import { commandVariables, noticeOfDamage, noticeOfFailure, webhookBody, type Notice } from './notice.ts';
import { NotifyPolicy, type NotifyPolicyOptions } from './notify-policy.ts';
import { runCommand } from './run-command.ts';
import { targetOrigin } from './target-origin.ts';

export interface NotifyAdapterOptions extends Partial<NotifyPolicyOptions> {
  /** `--on-failure`: run through `/bin/sh -c` for each notice, details in SAFEKEEP_* variables. */
  readonly onFailure?: string;
  /** `--webhook`: POSTed each notice as JSON. */
  readonly webhookUrl?: string;
  /** `--heartbeat`: a GET after good runs (at most one a minute). */
  readonly heartbeatUrl?: string;
  /** Named in webhook bodies and SAFEKEEP_HOSTNAME; default this machine's host name. */
  readonly hostName?: string;
  /** Default 30 s. */
  readonly commandTimeoutMs?: number;
  /** Per HTTP attempt; default 10 s. */
  readonly httpTimeoutMs?: number;
  /** Waits before a webhook's further attempts; default 1 s then 5 s (three attempts). */
  readonly retryDelaysMs?: readonly number[];
  /** Notices waiting per channel before the oldest is dropped; default 100. */
  readonly queueCapacity?: number;
  /** How long stop() lets deliveries under way finish; default 5 s. */
  readonly stopGraceMs?: number;
}

/** Of the command's output, the last this many bytes are kept for its failure's summary. */
const MAX_COMMAND_OUTPUT_BYTES = 4096;

/**
 * Tells people outside when something goes wrong, like Kopia's
 * notifications, and that things go right, like litestream's heartbeat: on
 * `backup.failed` and `backup.version.damaged` it runs the `--on-failure`
 * command and POSTs the `--webhook`; on `backup.completed` it GETs the
 * `--heartbeat` URL. Which events become notices is NotifyPolicy's call.
 *
 * Nothing waits for a receiver: each channel has its own bounded queue
 * (DeliveryQueue), so a dead webhook delays neither the bus, nor a backup,
 * nor the command. A notice that does not get through is published as
 * `notify.failed`, naming the receiver by its origin only.
 *
 * @example
 * const host = await startHost({ dataDir, adapters: [new NotifyAdapter({ webhookUrl: 'https://hooks.example.com/x' })] });
 */
export class NotifyAdapter implements HostAdapter {
  readonly name = 'notify';
  readonly #options: NotifyAdapterOptions;
  readonly #policy: NotifyPolicy;
  readonly #hostName: string;
  /** Every channel's queue, to stop and to wait for; whatever each carries. */
  readonly #queues: Pick<DeliveryQueue<unknown>, 'stop' | 'idle'>[] = [];
  #bus: Bus | null = null;
  #subscriptions: Subscription[] = [];

  /** Throws a TypeError (that does not repeat the URL) for a URL that is not http(s), or an empty command: a mistake is told at start, not at the first failure. */
  constructor(options: NotifyAdapterOptions) {
    if (options.onFailure !== undefined && options.onFailure.trim() === '') throw new TypeError('notify.onFailure is an empty command');
    for (const key of ['webhookUrl', 'heartbeatUrl'] as const) {
      const problem = options[key] === undefined ? null : httpUrlProblem(options[key]);
      if (problem !== null) throw new TypeError(`notify.${key} ${problem}`);
    }
    this.#options = options;
    this.#policy = new NotifyPolicy(options);
    this.#hostName = options.hostName ?? hostname();
  }

  async start(bus: Bus): Promise<void> {
    this.#bus = bus;
    const { onFailure, webhookUrl, heartbeatUrl } = this.#options;
    const failureQueues: DeliveryQueue<Notice>[] = [];
    if (onFailure !== undefined) failureQueues.push(this.#queue<Notice>('command', 'shell command', (notice, signal) => this.#runCommand(onFailure, notice, signal)));
    if (webhookUrl !== undefined) failureQueues.push(this.#queue<Notice>('webhook', targetOrigin(webhookUrl), (notice, signal) => this.#postWebhook(webhookUrl, notice, signal)));
    if (failureQueues.length > 0) {
      const send = (notice: Notice) => failureQueues.forEach((queue) => queue.push(notice));
      this.#subscriptions.push(
        bus.on$('backup.failed').subscribe((failed) => {
          if (this.#policy.shouldNotifyFailure(failed)) send(noticeOfFailure(failed));
        }),
        bus.on$('backup.version.damaged').subscribe((damaged) => {
          if (this.#policy.shouldNotifyDamage(damaged)) send(noticeOfDamage(damaged));
        }),
      );
    }
    // One waiting ping is enough: a newer one says all an older one would, so a replaced one is no loss.
    const heartbeat = heartbeatUrl === undefined ? null : this.#queue<Told>('heartbeat', targetOrigin(heartbeatUrl), (_run, signal) => this.#ping(heartbeatUrl, signal), 1);
    this.#subscriptions.push(
      // Subscribed even without a heartbeat: a good run also ends the job's failure streak.
      bus.on$('backup.completed').subscribe((completed) => {
        if (this.#policy.shouldPingHeartbeat(completed)) heartbeat?.push({ event: 'backup.completed', jobId: completed.jobId });
      }),
    );
  }

  async stop(): Promise<void> {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
    const graceMs = this.#options.stopGraceMs ?? 5_000;
    await Promise.all(this.#queues.map((queue) => queue.stop(graceMs)));
  }

  /** Resolves when every channel has delivered (or given up on) what it was given: for tests. */
  async idle(): Promise<void> {
    await Promise.all(this.#queues.map((queue) => queue.idle()));
  }

  #queue<T extends Told>(channel: NotifyChannel, target: string, deliver: (item: T, signal: AbortSignal) => Promise<void>, capacity = this.#options.queueCapacity ?? 100) {
    const queue = new DeliveryQueue<T>({
      capacity,
      deliver,
      onFailed: (notice, error) =>
        this.#report({ channel, target, event: notice.event, jobId: notice.jobId, reason: error instanceof Error ? error.message : String(error) }),
      onDropped: (count, because) => {
        if (channel === 'heartbeat' && because === 'full') return;
        const dropped = `${count} notification${count === 1 ? ' was' : 's were'} dropped unsent`;
        this.#report({ channel, target, event: 'notify.dropped', jobId: null, reason: `${dropped} ${because === 'full' ? 'while the receiver did not answer' : 'because the service stopped'}` });
      },
    });
    this.#queues.push(queue);
    return queue;
  }

  #report(failed: NotifyFailed): void {
    void this.#bus?.emit('notify.failed', failed);
  }

  async #runCommand(command: string, notice: Notice, signal: AbortSignal): Promise<void> {
    await runCommand(command, {
      variables: commandVariables(notice, this.#hostName),
      timeoutMs: this.#options.commandTimeoutMs ?? 30_000,
      maxOutputBytes: MAX_COMMAND_OUTPUT_BYTES,
      signal,
    });
  }

  async #postWebhook(url: string, notice: Notice, signal: AbortSignal): Promise<void> {
    await deliverHttp({
      method: 'POST',
      url,
      json: webhookBody(notice, this.#hostName),
      timeoutMs: this.#options.httpTimeoutMs ?? 10_000,
      retryDelaysMs: this.#options.retryDelaysMs ?? [1_000, 5_000],
      signal,
    });
  }

  async #ping(url: string, signal: AbortSignal): Promise<void> {
    // One quick second try: a monitor that misses a ping may alarm, but a longer chase would only delay the next good run's.
    await deliverHttp({ method: 'GET', url, timeoutMs: this.#options.httpTimeoutMs ?? 10_000, retryDelaysMs: (this.#options.retryDelaysMs ?? [1_000]).slice(0, 1), signal });
  }
}

/** What a queue's item must say for its failure to be reported: the event it was for and the job. */
interface Told {
  readonly event: string;
  readonly jobId: string | null;
}
