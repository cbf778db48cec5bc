import { Gauge, type Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import { TallyHistogram, type HistogramChild } from './tally.ts';

type WriteOp = 'put' | 'delete' | 'batch';

/** A write is durable after an fsync or two: milliseconds on a good disk, seconds on a bad day. */
const WRITE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The store's writes, timed from `store.command` (put, delete, batch) to the
 * `store.result` that says they are durable, and the shards it has reported
 * damaged. Reads are not timed: they are answered from memory.
 */
export class StoreMetrics {
  readonly #now: () => number;
  readonly #writes: TallyHistogram<'op' | 'outcome'>;
  /** The series a write lands in, by op and outcome: found without a label lookup per write. */
  readonly #series: Readonly<Record<WriteOp, { readonly ok: HistogramChild; readonly failed: HistogramChild }>>;
  readonly #damaged: Gauge<'collection'>;
  /** Writes waiting for their result: op and start (ms), by command id. */
  readonly #pending = new Map<string, { readonly op: WriteOp; readonly at: number }>();
  /** Damaged shards seen since start, per collection (each counted once). */
  readonly #damagedShards = new Map<string, Set<string>>();

  constructor(registry: Registry, now: () => number) {
    this.#now = now;
    const registers = [registry];
    this.#writes = new TallyHistogram({
      name: 'safekeep_store_write_duration_seconds',
      help: 'Time for a store write (put, delete, batch) to become durable, by op and outcome (ok or failed).',
      buckets: WRITE_BUCKETS,
      registry,
    });
    const series = (op: WriteOp) => ({ ok: this.#writes.child({ op, outcome: 'ok' }), failed: this.#writes.child({ op, outcome: 'failed' }) });
    this.#series = { put: series('put'), delete: series('delete'), batch: series('batch') };
    this.#damaged = new Gauge({
      name: 'safekeep_store_damaged_shards',
      help: 'Store shards found damaged since start, by collection: their documents are out of reach until repaired.',
      labelNames: ['collection'],
      registers,
    });
  }

  subscribe(bus: Bus): Subscription[] {
    return [
      bus.on$('store.command').subscribe(({ commandId, op }) => {
        if (op === 'put' || op === 'delete' || op === 'batch') this.#pending.set(commandId, { op, at: this.#now() });
      }),
      bus.on$('store.result').subscribe((result) => {
        const pending = this.#pending.get(result.commandId);
        if (!pending) return;
        this.#pending.delete(result.commandId);
        const series = this.#series[pending.op];
        (result.ok ? series.ok : series.failed).observe(Math.max(0, this.#now() - pending.at) / 1000);
      }),
      bus.on$('store.damaged').subscribe(({ collection, shard }) => {
        let shards = this.#damagedShards.get(collection);
        if (!shards) {
          shards = new Set();
          this.#damagedShards.set(collection, shards);
        }
        shards.add(shard);
        this.#damaged.labels(collection).set(shards.size);
      }),
    ];
  }

  clear(): void {
    this.#pending.clear();
  }
}
