/**
 * Compile-time tests of the password book's typed messages: `npm run
 * typecheck` fails if a line marked `@ts-expect-error` compiles or if a
 * correct line does not. Nothing here runs.
 */
import { Secret, checkBookDocument, type BookDocumentCheck, type BookOptions, type Host } from 'safekeep';

declare const host: Host;
const client = { address: 'local' };

export async function deviceTokens(): Promise<void> {
  const login = await host.book.handle({ type: 'session.login', username: 'ann', masterPassword: new Secret('correct horse battery') }, client);
  const deviceToken: Secret = login.deviceToken;
  // @ts-expect-error: the device token is a Secret, never a plain string
  const leaked: string = login.deviceToken;
  void leaked;
  await host.book.handle({ type: 'session.login', username: 'ann', masterPassword: new Secret('correct horse battery'), deviceToken }, client);
  // @ts-expect-error: a device token must travel as a Secret
  await host.book.handle({ type: 'session.login', username: 'ann', masterPassword: new Secret('correct horse battery'), deviceToken: 'd1.x.y' }, client);
}

export async function damagedEntries(token: Secret): Promise<void> {
  const listed = await host.book.handle({ type: 'entry.list', token }, client);
  const first = listed.damaged[0];
  if (first) await host.book.handle({ type: 'entry.delete', token, entryId: first.entryId }, client);
  // @ts-expect-error: a damaged entry has no readable name
  void first?.name;
  const intact = listed.entries[0];
  if (intact && first) {
    const when: number = intact.createdAt;
    // @ts-expect-error: a damaged entry's time may be unreadable (null)
    const damagedWhen: number = first.createdAt;
    void [when, damagedWhen];
  }
  await host.book.handle({ type: 'entry.delete', token, name: 'mail' }, client);
  const pending = await host.book.handle({ type: 'pending.list', token }, client);
  void pending.damaged.map((record) => record.pendingId);
}

export function offlineCheck(document: unknown): boolean {
  const check: BookDocumentCheck = checkBookDocument('ann', document);
  // @ts-expect-error: the check's result is read-only
  check.credentialsDamaged = false;
  return check.damagedEntries.length > 0;
}

export const options: BookOptions = {
  knownDeviceThrottle: { burst: 5, refillMs: 60_000 },
  perAccountThrottle: { burst: 100, refillMs: 36_000 },
  // @ts-expect-error: the per-user throttle became the per-account and per-device budgets
  perUserThrottle: { burst: 5, refillMs: 60_000 },
};
