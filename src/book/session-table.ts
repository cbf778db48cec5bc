import { createHash } from 'node:crypto';
import type { Clock } from '../clock/clock.ts';
import type { RandomSource } from '../random/random.ts';
import { Secret } from '../secret/secret.ts';
import { SessionInvalidError } from './errors.ts';

/** An open book: who logged in, their unwrapped data key, and when the session ends. */
export interface Session {
  /** The SHA-256 of its token: names the session (its own throttle budget) without being usable as one. */
  readonly id: string;
  readonly username: string;
  readonly dataKey: Buffer;
  readonly expiresAt: number;
}

const TOKEN_BYTES = 32;

/**
 * Logged-in sessions, in memory only: a restart logs everyone out, and no
 * data key ever reaches the disk unwrapped. Tokens are 256 random bits and are
 * kept only as their SHA-256, so even a heap dump does not yield a usable token.
 */
export class SessionTable {
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #ttlMs: number;
  readonly #sessions = new Map<string, Session>();

  constructor(deps: { clock: Clock; random: RandomSource; ttlMs: number }) {
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.#ttlMs = deps.ttlMs;
  }

  open(username: string, dataKey: Buffer): { token: Secret; expiresAt: number } {
    this.#pruneExpired();
    const token = this.#random.bytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = this.#clock.now() + this.#ttlMs;
    const id = digest(token);
    this.#sessions.set(id, { id, username, dataKey, expiresAt });
    return { token: new Secret(token), expiresAt };
  }

  /** The live session of `token`, or SESSION_INVALID. */
  require(token: Secret): Session {
    const key = digest(token.reveal());
    const session = this.#sessions.get(key);
    if (!session || session.expiresAt <= this.#clock.now()) {
      if (session) this.#end(key, session);
      throw new SessionInvalidError('The session is unknown, logged out or expired; log in again');
    }
    return session;
  }

  close(token: Secret): void {
    const key = digest(token.reveal());
    const session = this.#sessions.get(key);
    if (session) this.#end(key, session);
  }

  /** Ends every session of `username` except the one of `keep` (after a master-password change). */
  closeOthers(username: string, keep: Secret): void {
    const kept = digest(keep.reveal());
    for (const [key, session] of this.#sessions) {
      if (session.username === username && key !== kept) this.#end(key, session);
    }
  }

  #end(key: string, session: Session): void {
    session.dataKey.fill(0);
    this.#sessions.delete(key);
  }

  #pruneExpired(): void {
    const now = this.#clock.now();
    for (const [key, session] of this.#sessions) if (session.expiresAt <= now) this.#end(key, session);
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
