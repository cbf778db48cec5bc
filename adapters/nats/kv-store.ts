import { randomUUID } from 'node:crypto';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { headers } from '@nats-io/transport-node';
import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import { toErrorShape } from '../../src/errors/safekeep-error.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import { InvalidStoreCommandError, StoreConflictError, StoreUnavailableError } from '../../src/store/errors.ts';
import type { StoreCommand, StoreResult, StoreWrite } from '../../src/store/messages.ts';
import { checkedCollection, checkedCondition, checkedGroup, checkedKey, checkedValue, checkedWrites, plainJson } from './kv-command-checks.ts';
import { BATCH_PREFIX, batchKvKey, decodeDocumentKvKey, DOCUMENT_PREFIX, documentKvKey } from './kv-keys.ts';
import { KvMaterialiser } from './kv-materialiser.ts';
import { KvMirror, type MirrorChange } from './kv-mirror.ts';
import { KvCompareFailed, KvPublisher } from './kv-publisher.ts';
import { StreamLastSequence } from './kv-stream-last-sequence.ts';
import type { NatsLink } from './nats-link.ts';
import { bucketReplicas } from './lease-bucket.ts';
import { ClusterConfigMismatchError } from '../../src/cluster/cluster-errors.ts';

export interface NatsKvStoreOptions {
  readonly link: NatsLink;
  readonly name: string;
  readonly nodeName: string;
  readonly replicas: number;
  readonly clock: Clock;
  /** Collections whose changes by other nodes are told on the bus (`store.changed`); default the backup catalog's. Never the book's. */
  readonly announce?: readonly string[];
  /** How long a write is retried while the cluster has no stream leader; default 10 s. */
  readonly writeRetryBoundMs?: number;
}

export const DEFAULT_ANNOUNCED_COLLECTIONS = ['backup.jobs', 'backup.versions'] as const;
/** How long a read waits for the mirror to hold every acknowledged write before it gives up. */
const CATCH_UP_BOUND_MS = 10_000;
/** A watch that delivers nothing this long while the mirror is behind is stuck (its server died): it is made again. */
const STALLED_WATCH_MS = 1_500;
/** How long making a watch may take before the next stalled wait tries again. */
const WATCH_START_BOUND_MS = 2_000;
/** Read barriers one read may take while the watch keeps skipping removed messages: each covers what the one before left. */
const MOST_BARRIER_ROUNDS = 20;
const NODE_HEADER = 'Safekeep-Node';
const KEY_HEADER = 'Safekeep-Key';
const ORIGIN_HEADER = 'Safekeep-Origin';

/** A batch of 2+ writes as it is kept in the bucket until materialised: one message, so one round trip and all or nothing. */
interface BatchRecord {
  readonly node: string;
  readonly at: number;
  readonly writes: readonly StoreWrite[];
}

/**
 * The cluster-wide store: the same `store.command` / `store.result` contract
 * as the lowdb store, kept in one JetStream KV bucket (`<name>-store`,
 * replicated). Every node mirrors the whole bucket in memory through a watch
 * and answers reads from the mirror once it holds every write the stream had
 * acknowledged when the read came (the read barrier: one stream-info request,
 * shared by the readers that arrive while it is on its way, asked again when
 * the watch skipped removed messages meanwhile). A `get` that allows staleness
 * is answered at once with where the mirror stands (`at`), for a write made
 * only if nothing was written since (`ifUnchangedSince`). A write is
 * answered once JetStream acknowledged it and this node's mirror applied it,
 * so the node's next read sees it. A batch of several writes is one message
 * (see KvMaterialiser for how its documents reach their own keys).
 */
export class NatsKvStore implements HostAdapter {
  readonly name = 'store';
  readonly #options: NatsKvStoreOptions;
  readonly #bucket: string;
  readonly #stream: string;
  readonly #subjectPrefix: string;
  readonly #announce: ReadonlySet<string>;
  readonly #mirror = new KvMirror();
  #js: JetStreamClient | null = null;
  /** Counts the watches made; messages of an older one are dropped. */
  #watchGeneration = 0;
  #publisher: KvPublisher | null = null;
  #materialiser: KvMaterialiser | null = null;
  #watch: ConsumerMessages | null = null;
  #subscriptions: Subscription[] = [];
  #bus: Bus | null = null;
  #loaded = false;
  #stopped = false;
  #maxPayload = 1024 * 1024;
  #lastSequence: StreamLastSequence | null = null;
  #rewatching: Promise<void> | null = null;

  constructor(options: NatsKvStoreOptions) {
    this.#options = options;
    this.#bucket = `${options.name}-store`;
    this.#stream = `KV_${this.#bucket}`;
    this.#subjectPrefix = `$KV.${this.#bucket}.`;
    this.#announce = new Set(options.announce ?? DEFAULT_ANNOUNCED_COLLECTIONS);
  }

  /** Documents in a collection as this node's mirror holds them now, with no round trip (status page, `/metrics`). */
  countNow(collection: string): number {
    return this.#mirror.count(collection);
  }

  /** The replicas the bucket was made with (the option, capped at the servers the cluster has). */
  replicas = 0;

  async start(bus: Bus): Promise<void> {
    this.#bus = bus;
    const connection = this.#options.link.connection;
    this.#maxPayload = connection.info?.max_payload ?? this.#maxPayload;
    this.replicas = bucketReplicas(connection, this.#options.replicas);
    await new Kvm(connection).create(this.#bucket, { replicas: this.replicas, history: 1, allow_direct: false });
    const jsm = await jetstreamManager(connection, { timeout: 2_000 });
    // An existing bucket is opened as it is: one made with fewer replicas would acknowledge writes fewer servers hold.
    const made = (await jsm.streams.info(this.#stream)).config.num_replicas;
    if (made < this.replicas) {
      throw new ClusterConfigMismatchError(`The cluster's store '${this.#bucket}' keeps ${made} replica${made === 1 ? '' : 's'}, fewer than the ${this.replicas} asked for (--replicas): raise its replicas with the nats CLI (nats stream edit KV_${this.#bucket} --replicas ${this.replicas}) or start with --replicas ${made}`);
    }
    this.#lastSequence = new StreamLastSequence({
      jsm,
      stream: this.#stream,
      link: this.#options.link,
      clock: this.#options.clock,
      boundMs: CATCH_UP_BOUND_MS,
    });
    const js = jetstream(connection, { timeout: 2_000 });
    this.#js = js;
    this.#publisher = new KvPublisher({
      link: this.#options.link,
      js,
      clock: this.#options.clock,
      ...(this.#options.writeRetryBoundMs === undefined ? {} : { retryBoundMs: this.#options.writeRetryBoundMs }),
    });
    this.#subscriptions.push(
      bus.on$('cluster.link').subscribe((link) => {
        // Whoever waits on the mirror stops waiting: a read fails as unavailable, an acknowledged write stands.
        if (link.state === 'disconnected' || link.state === 'closed') this.#mirror.release();
        // The watch may have died with the server it was on, and nothing else would make it again until a read came.
        if (link.state === 'reconnected' && this.#loaded) void this.#rewatch();
      }),
    );
    await this.#watchFrom(1);
    await this.#barrier();
    this.#loaded = true;
    this.#materialiser = new KvMaterialiser({
      mirror: this.#mirror,
      publisher: this.#publisher,
      clock: this.#options.clock,
      node: this.#options.nodeName,
      documentWrite: (write) => this.#documentMessage(write),
      batchSubject: (id) => this.#subjectPrefix + batchKvKey(id),
      barrier: () => this.#barrier(),
    });
    this.#materialiser.start();
    this.#subscriptions.push(
      bus.on$('store.command').subscribe((command) => {
        void this.#answer(command).then((result) => bus.emit('store.result', result));
      }),
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watchGeneration++;
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
    await this.#materialiser?.stop();
    this.#materialiser = null;
    void this.#watch?.close().catch(() => undefined);
    this.#watch = null;
    this.#mirror.release();
  }

  /**
   * Watches the bucket from `sequence` on: an ordered consumer over the whole
   * stream (it holds nothing else; server 2.9 takes no filter_subjects). It
   * mends small gaps itself, but not the death of the server it was on: it
   * is made again from the mirror's next sequence when the link reconnects
   * (`#rewatch`) and when a wait finds it stalled (`#mirrorReached`).
   */
  async #watchFrom(sequence: number): Promise<void> {
    const js = this.#js;
    if (!js) return;
    const generation = ++this.#watchGeneration;
    // Not awaited: closing a watch whose server died may wait on that server for good.
    void this.#watch?.close().catch(() => undefined);
    this.#watch = null;
    const made = (async () => {
      const consumer = await js.consumers.get(this.#stream, sequence <= 1 ? {} : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: sequence });
      return consumer.consume();
    })();
    const watch = await Promise.race([made, delay(WATCH_START_BOUND_MS).then(() => null)]);
    if (watch === null || generation !== this.#watchGeneration) {
      void made.then((late) => late.close()).catch(() => undefined);
      return;
    }
    this.#watch = watch;
    void (async () => {
      for await (const message of watch) {
        if (generation !== this.#watchGeneration) break;
        this.#apply(message);
      }
    })().catch(() => undefined);
  }

  /**
   * Whether the mirror applied `sequence` within `boundMs`: false if not, or
   * if the link dropped. A watch that moves no further for a while is made
   * again from where the mirror stands.
   */
  async #mirrorReached(sequence: number, boundMs: number): Promise<boolean> {
    if (this.#mirror.applied >= sequence) return true;
    const deadline = Date.now() + boundMs;
    for (;;) {
      const before = this.#mirror.applied;
      const slice = Math.min(STALLED_WATCH_MS, deadline - Date.now());
      if (slice <= 0) return false;
      if (await this.#mirror.reached(sequence, slice)) return true;
      if (!this.#options.link.connected || this.#stopped) return false;
      if (this.#mirror.applied === before) await this.#watchFrom(this.#mirror.applied + 1).catch(() => undefined);
    }
  }

  /** Makes the watch again from where the mirror stands (one attempt loop at a time), retrying while the cluster elects leaders, as long as the link holds. */
  #rewatch(): Promise<void> {
    this.#rewatching ??= this.#watchAgain().finally(() => (this.#rewatching = null));
    return this.#rewatching;
  }

  async #watchAgain(): Promise<void> {
    for (let backoff = 100; this.#options.link.connected && !this.#stopped; backoff = Math.min(backoff * 2, 2_000)) {
      await this.#watchFrom(this.#mirror.applied + 1).catch(() => undefined);
      if (this.#watch) return;
      await delay(backoff);
    }
  }

  /** Resolves once no batch record of this node waits to be materialised (tests and benches). */
  async materialised(): Promise<void> {
    await this.#materialiser?.idle();
  }

  async #answer(command: StoreCommand): Promise<StoreResult> {
    try {
      if (!this.#options.link.connected) throw unavailable(command.op);
      switch (command.op) {
        case 'put':
          await this.#write([{ op: 'put', collection: checkedCollection(command.collection), key: checkedKey(command.key), value: checkedValue(command.value) }], checkedCondition(command.ifUnchangedSince));
          return { commandId: command.commandId, ok: true };
        case 'delete':
          await this.#write([{ op: 'delete', collection: checkedCollection(command.collection), key: checkedKey(command.key) }], checkedCondition(command.ifUnchangedSince));
          return { commandId: command.commandId, ok: true };
        case 'batch':
          // Serialised once, as the batch record: that is where a value JSON cannot carry is refused.
          await this.#write(checkedWrites(command.writes, Array.isArray(command.writes) && command.writes.length > 1 ? 'later' : 'here'), checkedCondition(command.ifUnchangedSince));
          return { commandId: command.commandId, ok: true };
        case 'get': {
          const [collection, key] = [checkedCollection(command.collection), checkedKey(command.key)];
          // Stale allowed: what the mirror holds now, and where it stands, for a write conditional on it (no round trip).
          // Not while this node's own writes (or its materialiser's copies) are on their way: they would make that write
          // lose, and the caller pay a third round trip. Then it is read behind the barrier, as the latest, with no `at`.
          if (command.allowStale === true && (this.#publisher?.inFlight ?? 0) === 0) {
            return { commandId: command.commandId, ok: true, value: this.#mirror.get(collection, key), at: this.#mirror.applied };
          }
          await this.#barrier();
          return { commandId: command.commandId, ok: true, value: this.#mirror.get(collection, key) };
        }
        case 'list': {
          const [collection, group] = [checkedCollection(command.collection), checkedGroup(command.group)];
          await this.#barrier();
          return { commandId: command.commandId, ok: true, value: this.#mirror.list(collection, group) };
        }
        case 'keys': {
          const [collection, group] = [checkedCollection(command.collection), checkedGroup(command.group)];
          await this.#barrier();
          return { commandId: command.commandId, ok: true, value: this.#mirror.keys(collection, group) };
        }
        case 'count': {
          const collection = checkedCollection(command.collection);
          await this.#barrier();
          return { commandId: command.commandId, ok: true, value: this.#mirror.count(collection) };
        }
        default:
          throw new InvalidStoreCommandError(`'${String((command as { op?: unknown }).op)}' is not a store operation`);
      }
    } catch (error) {
      return { commandId: command.commandId, ok: false, error: toErrorShape(error) };
    }
  }

  /**
   * One message for all of `writes` (a batch record when there are several),
   * answered once acknowledged and mirrored here. With `ifUnchangedSince`,
   * JetStream stores it only if the stream's last sequence is still that one
   * (STORE_CONFLICT otherwise).
   */
  async #write(writes: readonly StoreWrite[], ifUnchangedSince?: number): Promise<void> {
    const publisher = this.#publisher;
    if (!publisher) throw new StoreUnavailableError('The store is not running');
    if (writes.length === 0) return;
    this.#materialiser?.busy();
    let sequence: number;
    let batchId: string | null = null;
    const condition = ifUnchangedSince === undefined ? {} : { expectLastSequence: ifUnchangedSince };
    try {
      if (writes.length === 1) {
        const message = this.#documentMessage(writes[0] as StoreWrite);
        this.#checkSize(message.payload, 'A value');
        sequence = await publisher.publish({ ...message, msgID: `${this.#options.nodeName}.${randomUUID()}`, ...condition });
      } else {
        batchId = randomUUID().replaceAll('-', '');
        const record: BatchRecord = { node: this.#options.nodeName, at: this.#options.clock.now(), writes };
        const payload = plainJson(record);
        this.#checkSize(payload, `A batch of ${writes.length} writes`);
        const marks = headers();
        marks.set(NODE_HEADER, this.#options.nodeName);
        sequence = await publisher.publish({ subject: this.#subjectPrefix + batchKvKey(batchId), payload, headers: marks, msgID: batchId, ...condition });
      }
    } catch (error) {
      if (error instanceof KvCompareFailed) throw new StoreConflictError(`the store was written since ${ifUnchangedSince}; nothing was written`);
      throw error;
    }
    // Durable now; waiting for the mirror makes the write visible to this node's next read. A dropped link ends the wait: the write stands.
    await this.#mirrorReached(sequence, CATCH_UP_BOUND_MS);
    if (batchId !== null) this.#materialiser?.enqueue(batchId);
  }

  #checkSize(payload: string, what: string): void {
    const bytes = Buffer.byteLength(payload);
    // Room for the headers and the subject in the server's largest message.
    if (bytes > this.#maxPayload - 8 * 1024) {
      throw new InvalidStoreCommandError(`${what} takes ${bytes} bytes, more than the cluster's largest message (${this.#maxPayload} bytes) allows; nothing was written`);
    }
  }

  /** A document's own message: its subject, its JSON (nothing for a delete: a KV delete marker), who wrote it. */
  #documentMessage(write: StoreWrite): { subject: string; payload: string; headers: ReturnType<typeof headers> } {
    const { kvKey, hashed } = documentKvKey(write.collection, write.key);
    const marks = headers();
    marks.set(NODE_HEADER, this.#options.nodeName);
    if (hashed) marks.set(KEY_HEADER, JSON.stringify([write.collection, write.key]));
    if (write.op === 'delete') marks.set('KV-Operation', 'DEL');
    return { subject: this.#subjectPrefix + kvKey, payload: write.op === 'put' ? JSON.stringify(write.value) : '', headers: marks };
  }

  /** One message of the bucket, in stream order, into the mirror; other nodes' changes to announced collections onto the bus. */
  #apply(message: JsMsg): void {
    const sequence = message.seq;
    // A watch made again may deliver what the mirror has: applied twice, an old write would undo a newer one.
    if (sequence <= this.#mirror.applied) return;
    try {
      const kvKey = message.subject.slice(this.#subjectPrefix.length);
      const operation = message.headers?.get('KV-Operation') ?? '';
      const present = operation !== 'DEL' && operation !== 'PURGE';
      const writer = message.headers?.get(NODE_HEADER) ?? '';
      if (kvKey.startsWith(BATCH_PREFIX)) {
        const id = kvKey.slice(BATCH_PREFIX.length);
        if (!present) return this.#mirror.forgetBatch(sequence, id);
        const record = JSON.parse(message.string()) as unknown;
        // Checked whole before any of it is applied: a record that is not what safekeep writes must not apply in part.
        if (!isBatchRecord(record)) return this.#mirror.advance(sequence);
        const changes = this.#mirror.applyBatch({ id, sequence, node: record.node, at: record.at, writes: record.writes });
        if (record.node !== this.#options.nodeName) this.#announceChanges(changes);
        return;
      }
      if (!kvKey.startsWith(DOCUMENT_PREFIX)) return this.#mirror.advance(sequence);
      const named = message.headers?.get(KEY_HEADER);
      const address = named ? (JSON.parse(named) as unknown) : decodeDocumentKvKey(kvKey);
      if (!address || (Array.isArray(address) && !isStringPair(address))) return this.#mirror.advance(sequence);
      const [collection, key] = Array.isArray(address) ? (address as [string, string]) : [(address as { collection: string }).collection, (address as { key: string }).key];
      const originText = message.headers?.get(ORIGIN_HEADER);
      const origin = originText && Number.isSafeInteger(Number(originText)) ? Number(originText) : undefined;
      const change = this.#mirror.applyDocument(sequence, collection, key, {
        present,
        ...(present ? { value: JSON.parse(message.string()) as unknown } : {}),
        ...(origin ? { origin } : {}),
      });
      if (change && writer !== this.#options.nodeName) this.#announceChanges([change]);
    } catch {
      // Not a message safekeep wrote (or not one it can read): it still moves the mirror on.
      this.#mirror.advance(sequence);
    }
  }

  #announceChanges(changes: readonly MirrorChange[]): void {
    const bus = this.#bus;
    if (!this.#loaded || !bus) return;
    for (const change of changes) if (this.#announce.has(change.collection)) void bus.emit('store.changed', change);
  }

  /**
   * The read barrier: the mirror holds at least every write the stream has
   * acknowledged by now. Reaching the stream's last sequence is not enough
   * when the watch skipped messages on the way (a watch made again, or one
   * that fell behind): each was removed by a later message, which the stream
   * held by the time the gap was seen, so a gap seen after the question was
   * asked means asking again. The question goes out after `gaps` is read
   * (StreamLastSequence never shares one already sent). All rounds together
   * get one time limit.
   */
  async #barrier(): Promise<void> {
    const lastSequence = this.#lastSequence;
    if (!lastSequence) throw new StoreUnavailableError('The store is not running');
    const deadline = Date.now() + CATCH_UP_BOUND_MS;
    for (let round = 0; ; round++) {
      const gaps = this.#mirror.gaps;
      await this.#caughtUp(await lastSequence.query(), deadline - Date.now());
      if (this.#mirror.gaps === gaps) return;
      if (round === MOST_BARRIER_ROUNDS || Date.now() >= deadline) {
        throw new StoreUnavailableError(`this node could not catch up with the cluster's store within ${CATCH_UP_BOUND_MS / 1000} s: it kept changing under its reads`);
      }
    }
  }

  async #caughtUp(sequence: number, boundMs = CATCH_UP_BOUND_MS): Promise<void> {
    if (await this.#mirrorReached(sequence, boundMs)) return;
    if (!this.#options.link.connected) throw new StoreUnavailableError('this node has lost its connection to the cluster; nothing was read');
    throw new StoreUnavailableError(`this node could not catch up with the cluster's store within ${CATCH_UP_BOUND_MS / 1000} s`);
  }
}

function unavailable(op: StoreCommand['op']): StoreUnavailableError {
  const read = op === 'get' || op === 'list' || op === 'keys' || op === 'count';
  return new StoreUnavailableError(`this node has lost its connection to the cluster; nothing was ${read ? 'read' : 'written'}`);
}

/** A pause between retries; its timer keeps no process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function isStringPair(value: readonly unknown[]): value is [string, string] {
  return value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string';
}

/** A batch record as safekeep writes it: every write a put or a delete of a string key in a string collection. */
function isBatchRecord(value: unknown): value is BatchRecord {
  const record = value as Partial<BatchRecord> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.node === 'string' &&
    Array.isArray(record.writes) &&
    record.writes.every((write: unknown) => {
      const each = write as Partial<StoreWrite> | null;
      return typeof each === 'object' && each !== null && (each.op === 'put' || each.op === 'delete') && typeof each.collection === 'string' && typeof each.key === 'string';
    })
  );
}
