import { hostname } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { RequestTimeouts } from '../../machines/request.machine.ts';
import type { RetryPolicy } from '../../machines/backup-job.machine.ts';
import type { BackupJobSpec } from '../backup/job.ts';
import { resolveBookOptions, type BookOptions, type ResolvedBookOptions } from '../book/book-options.ts';
import { cryptoRandom, type RandomSource } from '../random/random.ts';
import { systemClock, type Clock } from '../clock/clock.ts';
import { randomIds, type IdSource } from '../ids/ids.ts';
import type { HostAdapter } from '../ports/host-adapter.ts';
import { resolveClusterOptions, type ClusterOptions, type ResolvedClusterOptions } from '../cluster/cluster-options.ts';

/** The TCP socket clients talk to. */
export interface SocketOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 12345; 0 picks a free port. */
  readonly port?: number;
  /** Longest request accepted; default 1 MiB. */
  readonly maxRequestBytes?: number;
  /** Deepest nesting of objects and arrays in a JSON request (the request object is level 1); default 64. */
  readonly maxNestingDepth?: number;
  /** Close a connection this long after its last complete request or reply (trickled bytes do not count); default 10 minutes. */
  readonly idleTimeoutMs?: number;
  /** How long a request may take to arrive whole once its first byte came; then REQUEST_TOO_SLOW and the connection closes. Default 10 s. */
  readonly requestDeadlineMs?: number;
  /** Requests one connection may have waiting for answers; it reads no more until they drop below. Default 32. */
  readonly maxUnansweredRequests?: number;
  /**
   * Reply bytes a client may leave unread: above an eighth of this its requests wait, past it it is cut off.
   * Default 8 MiB; at least 128 KiB (a smaller value is raised to it: reading resumes when the socket
   * drains, and Node reports that only past its 16 KiB mark).
   */
  readonly maxUnreadReplyBytes?: number;
  /** Connections served at once; past it a new client takes an idle or slow one's place. Default 1024. */
  readonly maxConnections?: number;
}

/** Where and how the host logs (see HostOptions.log). */
export interface LogOptions {
  /** `pretty`: short human lines; `json`: one pino JSON record a line. Default `pretty`, or `json` with `file`. */
  readonly format?: 'json' | 'pretty';
  /** The least severe level written; default `info`. */
  readonly level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Append to this file; default `out`. */
  readonly file?: string;
  /** Where records go without `file`; default the process's stderr. */
  readonly out?: Writable;
}

/** Notifications, like Kopia's and litestream's (see HostOptions.notify). */
export interface NotifyOptions {
  /** A shell command run for each failed run and each damaged version, with the details in SAFEKEEP_* variables. */
  readonly onFailure?: string;
  /** POSTed a JSON body for each failed run and each damaged version. */
  readonly webhookUrl?: string;
  /** Requested after each good run, so a monitor notices when they stop. */
  readonly heartbeatUrl?: string;
}

/**
 * Everything a host can be told. Only `dataDir` is required.
 *
 * @example
 * const host = await startHost({
 *   dataDir: './safekeep-data',
 *   jobs: [{ sourcePath: './notes.json', intervalMs: 60_000, keep: 10 }],
 *   socket: { port: 0 },
 * });
 */
export interface HostOptions {
  /** Holds the catalog, the lock and, unless `backupDir` says otherwise, the backups. */
  readonly dataDir: string;
  /** Where versions go: `<backupDir>/<job id>/`. Default `<dataDir>/backups`. */
  readonly backupDir?: string;
  /** Files to back up. Omitted: every job saved in the catalog resumes (except removed ones). */
  readonly jobs?: readonly BackupJobSpec[];
  /**
   * The directories under which requests (a socket client's, `host.request`'s)
   * may name paths: `add`'s source, `restore`'s target. Each path is checked
   * where it really leads (`..` and symlinks followed), and never into the data
   * or backup directory. Default none: no request may name a path (a job's
   * restore to its own source is always allowed; `jobs` are allowed by being
   * configured). CLI: `--allow DIR`, repeatable.
   */
  readonly allowedPaths?: readonly string[];
  /** The TCP socket; `false` runs without one (embedding). Default: on, 127.0.0.1:12345. */
  readonly socket?: SocketOptions | false;
  /** Where to print what happens (backup outcomes…); default: nowhere. */
  readonly console?: { readonly out: Writable; readonly verbose?: boolean } | false;
  /**
   * Structured logs (pino): what happens, one record per event, with the job,
   * request and connection ids it concerns. Default: none (embedding); the CLI
   * logs to stderr. `console` is the older, plain form of the same thing.
   */
  readonly log?: LogOptions | false;
  /** The status page, `GET /metrics` and `GET /healthz` on HTTP; default off. CLI: `--http HOST:PORT`. */
  readonly http?: { readonly host?: string; readonly port: number } | false;
  /** Who is told about failed runs and damaged versions, and who hears a heartbeat after each good run; default nobody. */
  readonly notify?: NotifyOptions | false;
  /** Adapters of your own, started after the built-in ones and stopped before them. */
  readonly adapters?: readonly HostAdapter[];
  /** The password book's security settings (Argon2id cost, sessions, throttling). */
  readonly book?: BookOptions;
  /** Also deliver each reply to a password-book seed message by connecting here, as the seed service did. */
  readonly replyTo?: { readonly host: string; readonly port: number } | false;
  /** Where time comes from; default the system clock. Tests pass a `VirtualClock`. */
  readonly clock?: Clock;
  /** Where connection, request, run and store-command ids come from; default random (nanoid). */
  readonly ids?: IdSource;
  /** Salts, keys, nonces and tokens; default the OS's CSPRNG. */
  readonly random?: RandomSource;
  /** Backoff after failed runs; default 5 s doubling up to 5 min (and never past the interval). */
  readonly retry?: Partial<RetryPolicy>;
  /** Request time limits; default 30 s, and 1 h for `backup`. */
  readonly requestTimeouts?: Partial<RequestTimeouts>;
  /** On stop, how long clients may wait for their last replies; then every connection is closed. Default 5 s. */
  readonly shutdownGraceMs?: number;
  /**
   * How often the scrub re-hashes every version against the catalog (one at a
   * time, at most 16 MiB/s on average, never while a backup copies); 0 turns
   * it off. Default 24 h.
   */
  readonly verifyIntervalMs?: number;
  /**
   * Read every new copy back after its fsync and check its SHA-256 before it
   * is registered. Off by default: the hash is taken from the very buffers
   * that are written, the read-back mostly re-reads the page cache just
   * filled, and the scrub (`verifyIntervalMs`) re-hashes every version anyway.
   */
  readonly verifyCopies?: boolean;
  /**
   * Bytes of the store's write-ahead log after which a checkpoint folds it
   * into the store's files in the background. Default 16 MiB; tiny values
   * keep a checkpoint nearly always running (the crash suite uses that).
   */
  readonly checkpointLogBytes?: number;
  /**
   * Record every step of the run to this file (NDJSON; secrets replaced by
   * placeholders) for `safekeep replay`. Default: no recording.
   */
  readonly record?: string | false;
  /**
   * Which clock face retention's hours, days, weeks, months and years are read
   * on: `local` (this machine's time zone, as restic does), `utc` (the same
   * on every machine), or an IANA name such as `Europe/Berlin`. Default `local`.
   * A recording stores the zone `local` stood for, so its replay agrees.
   */
  readonly retentionTimeZone?: 'local' | 'utc' | (string & {});
  /**
   * Join a safekeep cluster on NATS JetStream (README "Cluster"): the book and
   * the catalog kept in JetStream KV, shared jobs leased, events and requests
   * carried between nodes. Default: none (nothing of NATS is loaded).
   */
  readonly cluster?: ClusterOptions | false;
}

export type ResolvedHostOptions = Required<Omit<HostOptions, 'jobs' | 'socket' | 'retry' | 'requestTimeouts' | 'book' | 'checkpointLogBytes' | 'cluster'>> & {
  readonly cluster: ResolvedClusterOptions | false;
  /** Undefined: the store's own default. */
  readonly checkpointLogBytes: number | undefined;
  readonly book: ResolvedBookOptions;
  readonly jobs: readonly BackupJobSpec[] | undefined;
  readonly socket: Required<SocketOptions> | false;
  readonly retry: RetryPolicy;
  readonly requestTimeouts: RequestTimeouts;
};

export const DEFAULT_PORT = 12345;
export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
export const DEFAULT_VERIFY_INTERVAL_MS = 24 * 60 * 60_000;
export const DEFAULT_MAX_NESTING_DEPTH = 64;
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_REQUEST_DEADLINE_MS = 10_000;
export const DEFAULT_MAX_UNANSWERED_REQUESTS = 32;
export const DEFAULT_MAX_UNREAD_REPLY_BYTES = 8 * 1024 * 1024;
export const MIN_MAX_UNREAD_REPLY_BYTES = 128 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

export function resolveHostOptions(options: HostOptions): ResolvedHostOptions {
  const dataDir = path.resolve(options.dataDir);
  return {
    dataDir,
    backupDir: path.resolve(options.backupDir ?? path.join(dataDir, 'backups')),
    jobs: options.jobs,
    allowedPaths: (options.allowedPaths ?? []).map((directory) => path.resolve(directory)),
    retentionTimeZone: options.retentionTimeZone ?? 'local',
    socket:
      options.socket === false
        ? false
        : {
            host: options.socket?.host ?? '127.0.0.1',
            port: options.socket?.port ?? DEFAULT_PORT,
            maxRequestBytes: options.socket?.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
            maxNestingDepth: options.socket?.maxNestingDepth ?? DEFAULT_MAX_NESTING_DEPTH,
            idleTimeoutMs: options.socket?.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
            requestDeadlineMs: options.socket?.requestDeadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS,
            maxUnansweredRequests: options.socket?.maxUnansweredRequests ?? DEFAULT_MAX_UNANSWERED_REQUESTS,
            maxUnreadReplyBytes: Math.max(MIN_MAX_UNREAD_REPLY_BYTES, options.socket?.maxUnreadReplyBytes ?? DEFAULT_MAX_UNREAD_REPLY_BYTES),
            maxConnections: options.socket?.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
          },
    book: resolveBookOptions(options.book),
    replyTo: options.replyTo ?? false,
    random: options.random ?? cryptoRandom,
    console: options.console ?? false,
    log: options.log ?? false,
    http: options.http ?? false,
    notify: options.notify ?? false,
    adapters: options.adapters ?? [],
    clock: options.clock ?? systemClock,
    ids: options.ids ?? randomIds,
    retry: { baseMs: options.retry?.baseMs ?? 5_000, maxMs: options.retry?.maxMs ?? 5 * 60_000 },
    requestTimeouts: {
      defaultMs: options.requestTimeouts?.defaultMs ?? 30_000,
      backupMs: options.requestTimeouts?.backupMs ?? 60 * 60_000,
    },
    shutdownGraceMs: options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
    verifyIntervalMs: options.verifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS,
    verifyCopies: options.verifyCopies ?? false,
    checkpointLogBytes: options.checkpointLogBytes,
    record: options.record ?? false,
    cluster: options.cluster ? resolveClusterOptions(options.cluster, hostname()) : false,
  };
}
