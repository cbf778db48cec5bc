import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { StatusSource } from '../../src/ports/status-source.ts';

/**
 * STUB (replaced by the metrics work): the service's Prometheus metrics,
 * gathered from the bus, rendered for `GET /metrics`.
 */
export class BusMetrics {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  constructor(readonly deps: { readonly bus: Bus; readonly clock: Clock; readonly status: StatusSource }) {}

  /** Subscribes to the bus. */
  start(): void {}

  /** Unsubscribes. */
  stop(): void {}

  /** The metrics in Prometheus' text format (0.0.4). */
  async render(): Promise<string> {
    return '';
  }
}
