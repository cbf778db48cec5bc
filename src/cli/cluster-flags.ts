import { parseDuration } from '../backup/interval.ts';
import { NODE_NAME_PATTERN, type ClusterOptions } from '../cluster/cluster-options.ts';
import { natsServerList } from '../cluster/nats-server-urls.ts';
import { wholeNumber } from './whole-number.ts';

/** The cluster flags, checked: `--cluster` and what only means something with it. */
export interface CliCluster {
  /** Null without `--cluster`. */
  readonly cluster: ClusterOptions | null;
  /** `--shared-source`: the `--source` jobs of this command line are on storage every node sees. */
  readonly sharedSources: boolean;
}

const CLUSTER_ONLY = ['node-name', 'store', 'replicas', 'version-store', 'lease-ttl', 'shared-source'] as const;

/**
 * `--cluster nats://[USER:PASSWORD@|TOKEN@]HOST:PORT[,…]`, `--node-name`, `--store lowdb|nats`,
 * `--replicas N`, `--version-store local|nats`, `--lease-ttl TIME` and
 * `--shared-source` from parseArgs' values, or what is wrong with one.
 *
 * @example
 * clusterFlags({ cluster: 'nats://127.0.0.1:4222', 'node-name': 'a' }); // { cluster: { servers: ['nats://127.0.0.1:4222'], nodeName: 'a' }, sharedSources: false }
 * clusterFlags({ store: 'nats' }); // '--store needs --cluster: …'
 */
export function clusterFlags(values: Readonly<Record<string, unknown>>): CliCluster | string {
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string).trim() : undefined);
  const urls = text('cluster');
  if (urls === undefined) {
    const stray = CLUSTER_ONLY.find((flag) => values[flag] !== undefined);
    return stray ? `--${stray} needs --cluster: it only means something in a cluster` : { cluster: null, sharedSources: false };
  }
  const servers = urls.split(',').map((url) => url.trim()).filter((url) => url !== '');
  // The text is never echoed: a server URL may carry a password.
  const list = natsServerList(servers);
  if (servers.length === 0) return '--cluster names no NATS server: give a list such as nats://127.0.0.1:4222,nats://127.0.0.1:4223';
  if ('why' in list) {
    return `--cluster: server ${list.position} of ${servers.length} is wrong (${list.why}); give a list of NATS servers such as nats://127.0.0.1:4222,nats://user:password@127.0.0.1:4223`;
  }
  const nodeName = text('node-name');
  if (nodeName !== undefined && !NODE_NAME_PATTERN.test(nodeName)) {
    return `--node-name '${nodeName}' is not a node name: 1 to 64 letters, digits, '-' or '_'`;
  }
  const store = text('store');
  if (store !== undefined && store !== 'nats' && store !== 'lowdb') return `--store '${store}' is not nats or lowdb`;
  const versionStore = text('version-store');
  if (versionStore !== undefined && versionStore !== 'nats' && versionStore !== 'local') return `--version-store '${versionStore}' is not local or nats`;
  const replicasText = text('replicas');
  const replicas = replicasText === undefined ? undefined : wholeNumber(replicasText, 1, 5);
  if (replicasText !== undefined && replicas === undefined) return `--replicas '${replicasText}' is not a number of replicas from 1 to 5`;
  const leaseText = text('lease-ttl');
  const leaseTtlMs = leaseText === undefined ? undefined : parseDuration(leaseText);
  if (leaseText !== undefined && (leaseTtlMs === undefined || leaseTtlMs < 1_000)) return `--lease-ttl '${leaseText}' is not a time of at least 1s, such as 10s`;
  return {
    cluster: {
      servers,
      ...(nodeName === undefined ? {} : { nodeName }),
      ...(store === undefined ? {} : { store }),
      ...(versionStore === undefined ? {} : { versionStore }),
      ...(replicas === undefined ? {} : { replicas }),
      ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
    },
    sharedSources: values['shared-source'] === true,
  };
}
