import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { keyCheckOf } from '../cluster/key-check.ts';
import type { JobPlacement } from '../cluster/job-placement.ts';
import { RemoteJobHistory } from '../cluster/remote-job-history.ts';
import type { IdSource } from '../ids/ids.ts';
import type { ClusterAdapter } from '../ports/cluster.ts';
import type { ClusterSnapshot, NodeIntroduction } from '../ports/cluster-view.ts';
import type { HostAdapter } from '../ports/host-adapter.ts';
import type { RemoteRequests } from '../ports/remote-requests.ts';
import type { VersionBlobs } from '../ports/version-blobs.ts';
import type { Recorder } from '../replay/recorder.ts';
import type { ResolvedHostOptions } from './host-options.ts';
import type { ClusterRouting } from './job-routing.ts';
import type { ClusterFacts } from './job-status.ts';

/** A replay of a cluster node: its name and the routed requests' answers (from the recording), without a cluster. */
export interface ReplayedCluster {
  readonly node: string;
  readonly remote: RemoteRequests;
  readonly snapshot: () => Promise<ClusterSnapshot>;
  /** Resolves once the replay has fed the inputs recorded before the next output: called where the recorded node waited on NATS (its start, its join). */
  readonly inputsFed?: () => Promise<void>;
  /** The recorded node's service-key check, made before it loaded its catalog: answered from the recording. */
  readonly checkKey?: () => Promise<void>;
  /** The recorded node's join of the cluster, answered from the recording. */
  readonly join?: () => Promise<void>;
  /** The object store's answers, when the recorded node kept versions there (`--version-store nats`). */
  readonly blobs?: VersionBlobs;
}

/** The host's cluster, as each step of its start needs it: the real one (`--cluster`), or a replay's stand-ins, or neither. */
export interface ClusterParts {
  readonly cluster: ClusterAdapter | null;
  readonly replayed: ReplayedCluster | undefined;
  readonly recorder: Recorder | null;
}

/**
 * Starts the NATS cluster adapter when the options ask for one (loaded only then: a single node never loads the
 * NATS client); in a replay of a cluster node, waits where the recorded node's link came up instead.
 */
export async function startCluster(
  options: ResolvedHostOptions,
  replayed: ReplayedCluster | undefined,
  edge: { readonly clock: Clock; readonly ids: IdSource; readonly startAdapter: (adapter: HostAdapter) => Promise<void> },
): Promise<ClusterAdapter | null> {
  if (options.cluster) {
    const { NatsCluster } = await import('../../adapters/nats/nats-cluster.ts');
    const cluster = new NatsCluster({ ...options.cluster, clock: edge.clock, ids: edge.ids });
    await edge.startAdapter(cluster);
    return cluster;
  }
  // A replayed cluster node: its link came up here, before the store, and other nodes' events may have come while it set up.
  if (replayed?.inputsFed) await replayed.inputsFed();
  return null;
}

/**
 * Before the node loads its catalog, writes or serves anything: a cluster node that holds another service key
 * than the cluster's refuses to start (CLUSTER_KEY_MISMATCH). Resolves with the key it loaded, or null when
 * this is no cluster node. Recorded like the join (the same port, call for call): it waits on NATS, and a
 * replay answers it from the recording.
 */
export async function checkServiceKey(parts: ClusterParts, loadKey: () => Promise<Buffer>): Promise<Buffer | null> {
  const { cluster, replayed, recorder } = parts;
  const check = cluster ? (keyCheck: string) => cluster.view.checkKey(keyCheck) : replayed?.checkKey;
  if (!check) return null;
  const key = await loadKey();
  const keyCheck = keyCheckOf(key);
  const checking = { checkKey: () => check(keyCheck) };
  await (recorder ? recorder.port('join', checking, ['checkKey']) : checking).checkKey();
  return key;
}

/** In a cluster: which node runs which job, the routes to the others, and what their events said (for requests, and for the page). */
export function clusterRouting(
  parts: ClusterParts,
  host: { readonly bus: Bus; readonly placement: JobPlacement; readonly options: ResolvedHostOptions; readonly started: (() => Promise<void> | void)[] },
): { facts?: ClusterFacts; pageFacts?: ClusterFacts; routing?: ClusterRouting } {
  const { cluster, replayed, recorder } = parts;
  const { bus, placement, options, started } = host;
  if (!cluster && !replayed) return {};
  const history = new RemoteJobHistory();
  history.start(bus);
  started.unshift(() => history.stop());
  if (cluster) {
    // Recorded, a routed request's answer is an input: a replay gives it back and starts no NATS.
    const remote = recorder ? recorder.port('remote', cluster.remote, ['send', 'locate']) : cluster.remote;
    const { view } = cluster;
    const snapshot = async () => view.snapshot();
    return {
      // The page reads the view straight (never recorded); a `status` request's snapshot is an edge's answer, recorded.
      pageFacts: { placement, history, snapshot },
      facts: { placement, history, snapshot: recorder ? recorder.port('view', { snapshot }, ['snapshot']).snapshot : snapshot },
      routing: { node: cluster.node, placement, remote, timeouts: options.requestTimeouts },
    };
  }
  // A replay of a cluster node: its routes and its view, answered from the recording; no NATS.
  const stand = replayed as ReplayedCluster;
  const remote = recorder ? recorder.port('remote', stand.remote, ['send', 'locate']) : stand.remote;
  const view = { snapshot: stand.snapshot };
  return {
    facts: { placement, history, snapshot: recorder ? recorder.port('view', view, ['snapshot']).snapshot : view.snapshot },
    routing: { node: stand.node, placement, remote, timeouts: options.requestTimeouts },
  };
}

/**
 * Makes the node one of the cluster's live nodes, once it serves (its key was checked before it loaded
 * anything; the join checks it again against nodes that came since). Recorded: the join waits on NATS, and
 * what happened meanwhile (a lease loop's tick) must come in the same order in a replay, where it is
 * answered from the recording at its place among the other steps.
 */
export async function joinCluster(parts: ClusterParts, introduction: () => Promise<NodeIntroduction>): Promise<void> {
  const { cluster, replayed, recorder } = parts;
  if (cluster) {
    const self = await introduction();
    const joining = { join: () => cluster.view.join(self) };
    await (recorder ? recorder.port('join', joining, ['join']) : joining).join();
  } else if (replayed?.join) {
    const joining = { join: replayed.join };
    await (recorder ? recorder.port('join', joining, ['join']) : joining).join();
  }
}
