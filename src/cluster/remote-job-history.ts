import type { Bus } from '../bus/bus.ts';
import type { RemoteJobHeard } from './cluster-status.ts';
import type { ClusterRemoteEvent } from './events.ts';

/** Events kept per job: enough to see what it did lately, not a log. */
const RECENT = 5;

const STATE_OF: Record<string, RemoteJobHeard['state']> = {
  'backup.scheduled': 'scheduled',
  'backup.copy.started': 'copying',
  'backup.progress': 'copying',
  'backup.completed': 'scheduled',
  'backup.failed': 'failed',
  'backup.paused': 'paused',
  'backup.resumed': 'scheduled',
  'backup.job.removed': 'removed',
};

/**
 * Keeps, per job another node runs, what its `cluster.remote` events said
 * last: the status of a job that runs elsewhere. Fed from the bus, so a
 * replay rebuilds it from the recorded events.
 *
 * @example
 * const history = new RemoteJobHistory();
 * history.start(bus);
 * history.of('job_1'); // { node: 'a', state: 'copying', lastRun: …, recent: […] }
 */
export class RemoteJobHistory {
  readonly #jobs = new Map<string, RemoteJobHeard>();
  #stop: (() => void) | null = null;

  start(bus: Bus): void {
    const subscription = bus.on$('cluster.remote').subscribe((event) => this.heard(event));
    this.#stop = () => subscription.unsubscribe();
  }

  stop(): void {
    this.#stop?.();
    this.#stop = null;
  }

  of(jobId: string): RemoteJobHeard | undefined {
    return this.#jobs.get(jobId);
  }

  all(): RemoteJobHeard[] {
    return [...this.#jobs.values()];
  }

  heard(event: ClusterRemoteEvent): void {
    const state = STATE_OF[event.name];
    if (state === undefined || typeof event.payload !== 'object' || event.payload === null) return;
    const payload = event.payload as Record<string, unknown>;
    const jobId = payload['jobId'];
    if (typeof jobId !== 'string') return;
    const at = typeof payload['at'] === 'number' ? payload['at'] : typeof payload['dueAt'] === 'number' ? payload['dueAt'] : null;
    const before = this.#jobs.get(jobId);
    let lastRun = before?.node === event.node ? before.lastRun : null;
    if (event.name === 'backup.completed' && at !== null) {
      const version = payload['version'] as Record<string, unknown> | undefined;
      lastRun = { at, outcome: payload['kind'] === 'unchanged' ? 'unchanged' : 'copied', versionId: typeof version?.['id'] === 'string' ? version['id'] : null };
    } else if (event.name === 'backup.failed' && at !== null) {
      lastRun = { at, outcome: 'failed', versionId: null };
    }
    // Progress says nothing new after the first: it would push the events that matter out of the short list.
    const recent = before?.node === event.node ? before.recent : [];
    const latest = event.name === 'backup.progress' && recent.at(-1)?.name === 'backup.progress' ? recent.slice(0, -1) : recent;
    this.#jobs.set(jobId, { jobId, node: event.node, state, lastRun, recent: [...latest, { name: event.name, at }].slice(-RECENT) });
  }
}
