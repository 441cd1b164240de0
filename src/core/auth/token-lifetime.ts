/**
 * A connection's rights end at its token's `exp`: `token_expiring` goes out shortly before, a
 * `refresh` with a new token (same user) moves the end, and without one the connection is closed
 * (1008 `token_expired`; Socket.IO: an `error` with that code, then a disconnect). Streams the
 * client owns keep running into their resume grace, resumable by their owner.
 */
import type { ConversationGrant } from './conversation-access.ts';
import type { CredentialCheck } from './credentials.ts';
import { BridgeError } from '../internal/errors.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';

/** How long before `exp` the client is told to refresh: time for a token round trip. */
export const DEFAULT_TOKEN_EXPIRING_NOTICE_MS = 60_000;
/** setTimeout's longest delay; a later deadline is re-armed when this one fires. */
const MAX_TIMER_MS = 2_147_483_647;

/** What the lifetime watch needs from its session. */
export interface TokenLifetimeHost {
  /** Tell the client (`token_expiring`). */
  notify(expiresAt: number): void;
  /** The token expired without a refresh: end the connection. */
  expire(): void;
}

/** Watches one connection's token lifetime. */
export class TokenLifetime {
  private notice: Timer | undefined;
  private end: Timer | undefined;

  constructor(
    private readonly host: TokenLifetimeHost,
    private expiresAtValue: number | undefined,
  ) {
    this.arm();
  }

  /** When the connection's rights end (ms since the epoch), if they do. */
  get expiresAt(): number | undefined {
    return this.expiresAtValue;
  }

  /** Whether the rights have ended (a message arriving now is refused and the connection closed). */
  get expired(): boolean {
    return this.expiresAtValue !== undefined && this.expiresAtValue <= Date.now();
  }

  /** A refreshed token: its `exp` is the new end. */
  extend(expiresAt: number | undefined): void {
    this.expiresAtValue = expiresAt;
    this.arm();
  }

  stop(): void {
    cancelTimer(this.notice);
    cancelTimer(this.end);
    this.notice = this.end = undefined;
  }

  private arm(): void {
    this.stop();
    const expiresAt = this.expiresAtValue;
    if (expiresAt === undefined) return;
    const left = expiresAt - Date.now();
    const noticeIn = Math.max(0, left - DEFAULT_TOKEN_EXPIRING_NOTICE_MS);
    if (noticeIn < MAX_TIMER_MS) {
      this.notice = setTimeout(() => this.host.notify(expiresAt), noticeIn);
    }
    this.end = setTimeout(
      () => (this.expired ? this.host.expire() : this.arm()),
      Math.min(Math.max(0, left), MAX_TIMER_MS),
    );
  }
}

/** A connection's credentials: what they allow (its grant), and the watch on their end. */
export class SessionCredentials {
  private grantValue: ConversationGrant = {};
  private lifetime: TokenLifetime | undefined;

  constructor(private readonly host: TokenLifetimeHost) {}

  get grant(): ConversationGrant {
    return this.grantValue;
  }

  /** New credentials (at connect, on `refresh`): their `expiresAt` is the connection's end. */
  set grant(grant: ConversationGrant) {
    this.grantValue = grant;
    if (this.lifetime) this.lifetime.extend(grant.expiresAt);
    else if (grant.expiresAt !== undefined) {
      this.lifetime = new TokenLifetime(this.host, grant.expiresAt);
    }
  }

  /** Whether the rights have ended. */
  get expired(): boolean {
    return this.lifetime?.expired === true;
  }

  /** The connection closed: no more timers. */
  stop(): void {
    this.lifetime?.stop();
  }
}

/** The outcome of a `refresh`: the new token's end and conversations, or a refusal. */
export interface RefreshedGrant {
  expiresAt: number | undefined;
  conversations: string[] | undefined;
}

/**
 * Verify a `refresh` token like the first one, for the same user; throws `unauthorized` when it
 * is invalid, expired, or another user's.
 */
export async function verifyRefresh(
  check: CredentialCheck | undefined,
  token: unknown,
  userId: string | undefined,
): Promise<RefreshedGrant> {
  if (check === undefined) throw new BridgeError('bad_request', 'this bridge checks no tokens');
  if (typeof token !== 'string' || token === '') {
    throw new BridgeError('bad_request', 'refresh needs a token');
  }
  const outcome = await check({ headers: {}, token });
  if (!outcome.ok) throw new BridgeError('unauthorized', outcome.message);
  if (outcome.userId !== userId) {
    throw new BridgeError('unauthorized', 'the new token is for another user');
  }
  return { expiresAt: outcome.expiresAt, conversations: outcome.conversations };
}
