/**
 * Compile-time tests of the public API: `npm run typecheck` fails if a line
 * marked `@ts-expect-error` compiles (the type guard is gone) or if a correct
 * line does not. Nothing here runs.
 */
import type { Observable } from 'rxjs';
import {
  Secret,
  replayRecording,
  type JobRemoval,
  type JobState,
  type LastRun,
  type PathNotAllowedError,
  type RestoreReport,
  type ServiceStatus,
  type TargetExistsError,
  type UnknownVersionError,
  type VersionDamagedError,
  type VersionListing,
  type BackupCompleted,
  type BackupVersionDamaged,
  type Bus,
  type DamageReason,
  type Host,
  type HostAdapter,
  type HostRequestResult,
  type VerifyReport,
} from 'safekeep';

declare const host: Host;
declare const bus: Bus;
declare const completed: BackupCompleted;

export async function eventNamesAndPayloads(): Promise<void> {
  const stream: Observable<BackupCompleted> = bus.on$('backup.completed');
  void stream;
  // @ts-expect-error: no such event
  bus.on$('backup.complete');
  // @ts-expect-error: no such event family
  bus.where$('backups.completed', () => true);
  // @ts-expect-error: the predicate's payload is a BackupCompleted, which has no `reason`
  bus.where$('backup.completed', (event) => event.reason === 'x');

  await bus.emit('backup.completed', completed);
  // @ts-expect-error: a `backup.failed` payload is not a BackupCompleted
  await bus.emit('backup.failed', completed);
  // @ts-expect-error: a payload missing its fields
  await bus.emit('host.stopping', {});
  // @ts-expect-error: a name that is not an event
  await bus.emit('host.exploded', { reason: 'x' });
}

export async function typedRequests(): Promise<void> {
  const run: HostRequestResult<'backup.run'> = await host.request('backup.run', { job: 'notes.json' });
  const outcome: 'copied' | 'unchanged' = run.outcome;
  void outcome;
  const { token } = await host.request('session.login', { username: 'ann', masterPassword: new Secret('correct horse') });
  const typedToken: Secret = token;
  void typedToken;

  // @ts-expect-error: no such request
  await host.request('backup.now', {});
  // @ts-expect-error: a master password must be a Secret, never a plain string
  await host.request('session.login', { username: 'ann', masterPassword: 'correct horse' });
  // @ts-expect-error: `name` is required by entry.get
  await host.request('entry.get', { token });
  // @ts-expect-error: unknown option
  await host.request('users.count', {}, { timeout: 5 });
  const { count } = await host.request('users.count', {});
  // @ts-expect-error: count is a number
  const wrong: string = count;
  void wrong;
}

export async function jobsAndReplay(): Promise<void> {
  const { job } = await host.request('job.add', { sourcePath: '/home/ann/notes.json', intervalMs: 60_000, keep: 5 });
  const id: string = job.id;
  void id;
  // @ts-expect-error: a job needs its interval
  await host.request('job.add', { sourcePath: '/home/ann/notes.json' });
  // @ts-expect-error: pause takes a job reference, not a number
  await host.request('job.pause', { job: 3 });

  await host.request('job.add', { sourcePath: '/home/ann/notes.json', intervalMs: 60_000, retention: { last: 3, daily: 7 } });
  // @ts-expect-error: there is no fortnightly rule
  await host.request('job.add', { sourcePath: '/home/ann/notes.json', intervalMs: 60_000, retention: { fortnightly: 2 } });
  const report = await host.request('backup.forget', { job: 'notes.json', policy: { weekly: 4 }, dryRun: true });
  const removedIds: string[] = report.removed.map((removed) => removed.versionId);
  void removedIds;
  // @ts-expect-error: forget never falls to a default job
  await host.request('backup.forget', {});
  // @ts-expect-error: a rule counts versions
  await host.request('backup.forget', { job: 'notes.json', policy: { last: '3' } });

  const result = await replayRecording('…');
  const seq: number | undefined = result.divergence?.seq;
  void seq;
  // @ts-expect-error: a divergence has no `line`
  void result.divergence?.line;
}

export const adapterShape: HostAdapter = {
  name: 'typed',
  async start(started: Bus) {
    // @ts-expect-error: the bus hands out typed payloads only
    started.on('backup.completed', (event) => event.notAField);
  },
  async stop() {},
};

export async function verifyRequest(): Promise<void> {
  const report: VerifyReport = await host.request('backup.verify', {});
  const counts: [number, number] = [report.checked, report.damaged];
  const reason: DamageReason | null | undefined = report.versions[0]?.reason;
  void counts;
  void reason;
  // @ts-expect-error: verify covers every job; it takes no job
  await host.request('backup.verify', { job: 'notes.json' });
  // @ts-expect-error: the report has no `ok` (errors reject)
  void report.ok;
  const damaged: Observable<BackupVersionDamaged> = bus.on$('backup.version.damaged');
  void damaged;
  // @ts-expect-error: a damage event's reason is one of the DamageReason words
  bus.where$('backup.version.damaged', (event) => event.reason === 'bitrot');
  bus.where$('backup.verified', (event) => event.trigger === 'schedule');
}

export async function backupOperations(): Promise<void> {
  const status: ServiceStatus = await host.request('backup.status', {});
  const state: JobState = status.jobs[0]?.state ?? 'inactive';
  const lastRun: LastRun | null = status.jobs[0]?.lastRun ?? null;
  void [state, lastRun, (await host.status()).uptimeMs];
  // @ts-expect-error: status takes no job
  await host.request('backup.status', { job: 'notes.json' });

  const { versions } = await host.request('backup.versions', { job: 'notes.json' });
  const listing: VersionListing | undefined = versions[0];
  const reason: string | undefined = listing?.damaged?.reason;
  void reason;

  const { version } = await host.request('backup.revert', { job: 'notes.json', version: 3 });
  await host.request('backup.revert', { job: 'notes.json', version: 'notes.json@3' });
  void version?.path;
  // @ts-expect-error: a version is a number or an id, not an object
  await host.request('backup.revert', { version: { seq: 3 } });

  const restored: RestoreReport = await host.request('backup.restore', { job: 'notes.json', version: 2, target: '/home/ann/old-notes.json' });
  const previousId: string | undefined = restored.previous?.id;
  void previousId;
  // @ts-expect-error: a target is a path
  await host.request('backup.restore', { target: 42 });

  await host.request('job.add', { source: '/home/ann/todo.md', interval: '5m' });
  await host.request('job.add', { source: '/home/ann/todo.md', interval: 300 });
  const removal: JobRemoval = await host.request('job.remove', { job: 'todo.md', forget: true });
  void removal.forgotten.length;
  // @ts-expect-error: remove needs the job named
  await host.request('job.remove', {});
  // @ts-expect-error: forget is a boolean
  await host.request('job.remove', { job: 'todo.md', forget: 'yes' });

  const error: PathNotAllowedError | UnknownVersionError | VersionDamagedError | TargetExistsError | null = null;
  void error;
}
