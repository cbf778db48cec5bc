import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BackupService, type BackupServiceDeps } from '../../src/backup/backup-service.ts';
import { BackupCatalog } from '../../src/backup/catalog.ts';
import type { BackupJob } from '../../src/backup/job.ts';
import { localBackupFiles } from '../../src/backup/local-backup-files.ts';
import type { BackupVersion } from '../../src/backup/version.ts';
import type { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { withDigest } from '../../src/integrity/record-digest.ts';
import type { StoreChanged } from '../../src/store/messages.ts';
import type { StoreClient } from '../../src/store/store-client.ts';
import { openStore, type OpenedStore } from './open-store.ts';
import { tempDir } from './temp-dir.ts';

export const START = Date.parse('2026-11-24T09:00:00.000Z');

/**
 * A catalog shared by several nodes' services: one real store, and every
 * write one node makes told to the others as `store.changed` (what the
 * cluster's KV store does), once it is durable. A tiny in-test bridge, until
 * the KV store is merged.
 */
export class BridgedCatalog extends BackupCatalog {
  readonly peers: BackupService[] = [];
  /** Changes told so far, in order. */
  readonly told: StoreChanged[] = [];

  override async saveJob(job: BackupJob): Promise<void> {
    await super.saveJob(job);
    await this.#tell({ collection: 'backup.jobs', key: job.id, value: withDigest(job) });
  }

  override async saveVersion(version: BackupVersion): Promise<void> {
    await super.saveVersion(version);
    await this.#tell({ collection: 'backup.versions', key: version.id, value: withDigest(version) });
  }

  override async deleteVersion(versionId: string): Promise<void> {
    await super.deleteVersion(versionId);
    await this.#tell({ collection: 'backup.versions', key: versionId, deleted: true });
  }

  override async deleteJob(jobId: string): Promise<void> {
    await super.deleteJob(jobId);
    await this.#tell({ collection: 'backup.jobs', key: jobId, deleted: true });
  }

  async #tell(change: StoreChanged): Promise<void> {
    this.told.push(change);
    for (const peer of this.peers) await peer.applyRemote(change);
  }
}

/** One node: its own disk (root, backups, cache), its own catalog view on the shared store. */
export interface TestNode {
  readonly name: string;
  readonly root: string;
  readonly service: BackupService;
  readonly catalog: BridgedCatalog;
  readonly bus: Bus;
  readonly clock: VirtualClock;
}

/**
 * Nodes whose services share one catalog (a real LowdbStore) through
 * `BridgedCatalog`s, each with its own folders on disk; `deps(name)` adds to
 * a node's service dependencies (blobs, placement, beforeRegister).
 */
export async function clusterNodes(names: readonly string[], deps: (name: string) => Partial<BackupServiceDeps> = () => ({})) {
  const shared = await tempDir('cluster-catalog');
  const store: OpenedStore = await openStore(shared);
  const clock = new VirtualClock(START);
  const nodes: TestNode[] = [];
  for (const name of names) nodes.push(await makeNode(name, store.client, store.bus, clock, deps(name)));
  for (const node of nodes) node.catalog.peers.push(...nodes.filter((other) => other !== node).map((other) => other.service));
  for (const node of nodes) await node.service.load();
  return {
    nodes,
    store,
    clock,
    /** A new service for a node, as after a restart, loading the shared catalog (told of later writes like the others). */
    async restart(name: string, extra: Partial<BackupServiceDeps> = {}): Promise<TestNode> {
      const node = await makeNode(name, store.client, store.bus, clock, { ...deps(name), ...extra }, path.dirname(nodes.find((n) => n.name === name)?.root ?? shared));
      for (const other of nodes) other.catalog.peers.push(node.service);
      node.catalog.peers.push(...nodes.filter((other) => other.name !== name).map((other) => other.service));
      return node;
    },
    close: () => store.close(),
  };
}

async function makeNode(name: string, client: StoreClient, bus: Bus, clock: VirtualClock, extra: Partial<BackupServiceDeps>, parent?: string): Promise<TestNode> {
  const root = parent ? path.join(parent, name) : path.join(await tempDir(`node-${name}`), name);
  await mkdir(path.join(root, 'src'), { recursive: true });
  const catalog = new BridgedCatalog(client);
  const service = new BackupService({
    catalog,
    bus,
    clock,
    ids: sequentialIds(),
    backupDir: path.join(root, 'backups'),
    files: localBackupFiles,
    ownFolders: [path.join(root, 'data')],
    cacheDir: path.join(root, 'data', 'cache'),
    node: name,
    ...extra,
  });
  return { name, root, service, catalog, bus, clock };
}
