import type { Subscription } from 'rxjs';
import type { Bus } from '../bus/bus.ts';
import { SafekeepError, type ErrorShape } from '../errors/safekeep-error.ts';
import type { IdSource } from '../ids/ids.ts';
import { StoreUnavailableError } from './errors.ts';
import type { StoreCommand, StoreResult, StoreWrite } from './messages.ts';

/** The store answered a command with an error; `code` is the store's own (STORE_WRITE_FAILED, …). */
export class StoreCommandFailedError extends SafekeepError {
  readonly code: string;

  constructor(shape: ErrorShape) {
    super(shape.message);
    this.code = shape.code;
  }
}

type CommandBody<T extends StoreCommand = StoreCommand> = T extends StoreCommand ? Omit<T, 'commandId'> : never;

/**
 * Talks to whichever store adapter is on the bus: emits `store.command`,
 * resolves with the matching `store.result`. A write resolves only when the
 * store says it is durable.
 *
 * @example
 * const store = new StoreClient(bus, randomIds);
 * await store.put('backup.jobs', 'notes.json', job);
 * const jobs = await store.list<BackupJob>('backup.jobs');
 */
export class StoreClient {
  readonly #bus: Bus;
  readonly #ids: IdSource;
  readonly #pending = new Map<string, { resolve(value: unknown): void; reject(error: unknown): void; readonly whole: boolean }>();
  readonly #subscription: Subscription;
  #commandIdBase: string | null = null;
  #commandCount = 0;

  constructor(bus: Bus, ids: IdSource) {
    this.#bus = bus;
    this.#ids = ids;
    this.#subscription = bus.on$('store.result').subscribe((result) => this.#settle(result));
  }

  async put(collection: string, key: string, value: unknown, condition: WriteCondition = {}): Promise<void> {
    await this.#send({ op: 'put', collection, key, value, ...conditionOf(condition) });
  }

  async delete(collection: string, key: string, condition: WriteCondition = {}): Promise<void> {
    await this.#send({ op: 'delete', collection, key, ...conditionOf(condition) });
  }

  /** Every write durable together, or none of them: resolves only when all are durable. */
  async batch(writes: readonly StoreWrite[], condition: WriteCondition = {}): Promise<void> {
    await this.#send({ op: 'batch', writes, ...conditionOf(condition) });
  }

  async get<T>(collection: string, key: string): Promise<T | undefined> {
    return (await this.#send({ op: 'get', collection, key })) as T | undefined;
  }

  /**
   * A read that may be answered from what this process holds (see
   * `allowStale`), with where the store stood: `at` is undefined when the
   * answer is the latest anyway (lowdb).
   */
  async getAllowingStale<T>(collection: string, key: string): Promise<{ value: T | undefined; at: number | undefined }> {
    const result = (await this.#send({ op: 'get', collection, key, allowStale: true }, true)) as StoreResult & { ok: true };
    return { value: result.value as T | undefined, at: result.at };
  }

  /** With `group`, only that group's documents (see `groupKey`), still under their whole keys. */
  async list<T>(collection: string, options: { group?: string } = {}): Promise<Record<string, T>> {
    return ((await this.#send({ op: 'list', collection, ...groupOf(options) })) ?? {}) as Record<string, T>;
  }

  /**
   * Every readable document, and the shards left out because they could not
   * be read: for whoever must not take what it got for the whole collection
   * (the backup catalog, before it calls files on disk orphans).
   */
  async listWhole<T>(collection: string): Promise<{ documents: Record<string, T>; damagedShards: readonly string[] }> {
    const result = (await this.#send({ op: 'list', collection }, true)) as StoreResult & { ok: true };
    return { documents: (result.value ?? {}) as Record<string, T>, damagedShards: result.damagedShards ?? [] };
  }

  async keys(collection: string, options: { group?: string } = {}): Promise<string[]> {
    return ((await this.#send({ op: 'keys', collection, ...groupOf(options) })) ?? []) as string[];
  }

  async count(collection: string): Promise<number> {
    return (await this.#send({ op: 'count', collection })) as number;
  }

  /** Stops listening; commands still waiting are rejected. */
  dispose(): void {
    this.#subscription.unsubscribe();
    for (const pending of this.#pending.values()) pending.reject(new StoreUnavailableError('The store client was disposed'));
    this.#pending.clear();
  }

  /** Resolves with the result's value (or, with `whole`, the whole result). */
  #send(body: CommandBody, whole = false): Promise<unknown> {
    // Emittery takes its listener list when emit is called, so this check and the emit agree.
    if (this.#bus.listenerCount('store.command') === 0) {
      return Promise.reject(new StoreUnavailableError('No store is running on this bus'));
    }
    // One drawn id for the client, then a count: unique, recorded once for a replay, no random draw per command.
    this.#commandIdBase ??= this.#ids.next('cmd');
    const commandId = `${this.#commandIdBase}.${++this.#commandCount}`;
    return new Promise((resolve, reject) => {
      this.#pending.set(commandId, { resolve, reject, whole });
      void this.#bus.emit('store.command', { ...body, commandId } as StoreCommand);
    });
  }

  #settle(result: StoreResult): void {
    const pending = this.#pending.get(result.commandId);
    if (!pending) return;
    this.#pending.delete(result.commandId);
    if (result.ok) pending.resolve(pending.whole ? result : result.value);
    else pending.reject(new StoreCommandFailedError(result.error));
  }
}

const groupOf = (options: { group?: string }) => (options.group === undefined ? {} : { group: options.group });

/** A write made only if nothing was written since `ifUnchangedSince` (a read's `at`); STORE_CONFLICT otherwise. */
export interface WriteCondition {
  readonly ifUnchangedSince?: number;
}

const conditionOf = (condition: WriteCondition) => (condition.ifUnchangedSince === undefined ? {} : { ifUnchangedSince: condition.ifUnchangedSince });
