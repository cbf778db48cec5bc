import { Counter, Gauge, type Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import { requestTypeOf, type RequestType } from '../../src/protocol/request-type.ts';
import { errorCodeLabel } from './error-code-label.ts';
import { TallyCounter, TallyHistogram, type CounterChild, type HistogramChild } from './tally.ts';

/** Where a request came from: a socket dialect, or `in-process` for `host.request` (`request.submitted`). */
type RequestDialect = 'text' | 'json' | 'in-process';

interface Children {
  readonly count: CounterChild;
  readonly time: HistogramChild;
}

/** Request latencies span a cached status (well under a millisecond) to a backup run (minutes). */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * Requests and connections, from the bus: a socket request counts when its
 * `reply.ready` carries its outcome (the request flow sets it), an in-process
 * one when its `request.settled` comes. Label values are bounded words (a
 * dialect, a request type, an error code), never what a client sent.
 */
export class RequestMetrics {
  readonly #clock: Clock;
  readonly #requests: TallyCounter<'dialect' | 'type' | 'outcome'>;
  readonly #duration: TallyHistogram<'dialect' | 'type'>;
  readonly #open: Gauge;
  readonly #connections: Counter;
  /**
   * The children the hot path increments, by dialect, type and outcome: a
   * reply costs three map lookups and two additions (see tally.ts).
   */
  readonly #counted = new Map<RequestDialect, Map<RequestType, Map<string, Children>>>();
  /** Connections opened since the metrics started: one open before is never counted down (the gauge cannot go below zero). */
  readonly #openIds = new Set<string>();
  /** In-process requests being handled: their type and start, until settled. */
  readonly #inProcess = new Map<string, { readonly type: RequestType; readonly at: number }>();

  constructor(registry: Registry, clock: Clock) {
    this.#clock = clock;
    const registers = [registry];
    this.#requests = new TallyCounter({
      name: 'safekeep_requests_total',
      help: 'Requests answered, by dialect (text, json, in-process), request type (invalid when it did not parse) and outcome (ok or the error code).',
      registry,
    });
    this.#duration = new TallyHistogram({
      name: 'safekeep_request_duration_seconds',
      help: 'Time from a request arriving whole to its reply being ready, by dialect and request type.',
      buckets: REQUEST_BUCKETS,
      registry,
    });
    this.#open = new Gauge({ name: 'safekeep_connections_open', help: 'Socket connections open now.', registers });
    this.#connections = new Counter({ name: 'safekeep_connections_total', help: 'Socket connections accepted since start.', registers });
  }

  subscribe(bus: Bus): Subscription[] {
    return [
      bus.on$('connection.opened').subscribe(({ connectionId }) => {
        this.#connections.inc();
        this.#openIds.add(connectionId);
        this.#open.set(this.#openIds.size);
      }),
      bus.on$('connection.closed').subscribe(({ connectionId }) => {
        if (this.#openIds.delete(connectionId)) this.#open.set(this.#openIds.size);
      }),
      bus.on$('reply.ready').subscribe(({ outcome }) => {
        if (outcome) this.#count(outcome.dialect, outcome.type, outcome.code, this.#clock.now() - outcome.receivedAt);
      }),
      bus.on$('request.submitted').subscribe(({ requestId, command }) => {
        this.#inProcess.set(requestId, { type: requestTypeOf(command), at: this.#clock.now() });
      }),
      bus.on$('request.settled').subscribe((settled) => {
        const started = this.#inProcess.get(settled.requestId);
        if (!started) return;
        this.#inProcess.delete(settled.requestId);
        this.#count('in-process', started.type, settled.ok ? null : settled.error.code, this.#clock.now() - started.at);
      }),
    ];
  }

  /** Forgets in-process requests still unanswered (the host is stopping). */
  clear(): void {
    this.#inProcess.clear();
    this.#openIds.clear();
  }

  #count(dialect: RequestDialect, type: RequestType, code: string | null, elapsedMs: number): void {
    const outcome = code === null ? 'ok' : errorCodeLabel(code);
    let byType = this.#counted.get(dialect);
    if (!byType) {
      byType = new Map();
      this.#counted.set(dialect, byType);
    }
    let byOutcome = byType.get(type);
    if (!byOutcome) {
      byOutcome = new Map();
      byType.set(type, byOutcome);
    }
    let children = byOutcome.get(outcome);
    if (!children) {
      children = { count: this.#requests.child({ dialect, type, outcome }), time: this.#duration.child({ dialect, type }) };
      byOutcome.set(outcome, children);
    }
    children.count.value++;
    children.time.observe(Math.max(0, elapsedMs) / 1000);
  }
}
