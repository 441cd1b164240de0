/**
 * Who may join a conversation (and send a chat_message into it): the `conversationAccess` policy.
 * `token`: the JWT lists the conversations (ids or `prefix*` patterns) in a claim. `check`: the
 * legacy API's join URL answers 2xx (cached briefly, never past the token's lifetime), like
 * `--auth-url` at connect and Centrifugo's subscribe proxy. `open`: anyone admitted.
 */
import { DEFAULT_AUTH_TIMEOUT_MS } from './credentials.ts';
import { BridgeError } from '../internal/errors.ts';
import { OptionError } from '../config/option-error.ts';
import type { BridgeOptions, ConversationAccess } from '../config/types.ts';

/** How long a join check's answer is reused by the same connection. */
export const DEFAULT_JOIN_CACHE_MS = 30_000;
/** Join check answers one connection keeps at most (bounded by its conversation cap anyway). */
const MAX_CACHED_ANSWERS = 1_000;

/** What a connection's credentials say about conversations. */
export interface ConversationGrant {
  /** The ids and `prefix*` patterns of the token's conversations claim, if it had one. */
  conversations?: readonly string[] | undefined;
  /** When the connection's token expires (ms since the epoch), if it does. */
  expiresAt?: number | undefined;
}

/** The client asking to join, as the policy sees it. */
export interface JoinRequest {
  conversationId: string;
  grant: ConversationGrant;
  /** The headers forwarded upstream for this client (the join check gets them too). */
  headers: Readonly<Record<string, string>>;
}

/** Decides joins for the sessions of one bridge; `cache` is per connection. */
export type ConversationAccessCheck = (
  request: JoinRequest,
  cache: Map<string, number>,
) => Promise<boolean>;

/** The policy in force: the option, or the default for the authentication configured. */
export function toConversationAccess(options: BridgeOptions): ConversationAccess {
  if (options.conversationAccess !== undefined) return options.conversationAccess;
  if (options.joinAuthUrl !== undefined) return 'check';
  const authenticated =
    options.jwtSecret !== undefined ||
    options.jwksUrl !== undefined ||
    options.authUrl !== undefined;
  // With authentication, a join no rule allows is refused: `token` with no claim allows none.
  return authenticated ? 'token' : 'open';
}

/** Whether `conversationId` is one of `patterns` (an exact id, or a `prefix*` pattern). */
export function matchesConversation(conversationId: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('*')
      ? conversationId.startsWith(pattern.slice(0, -1))
      : conversationId === pattern,
  );
}

/**
 * Refuse a new membership past the per-connection cap (`too_many_conversations`) or one the
 * access policy does not allow (`forbidden`).
 */
export async function assertMayJoin(input: {
  options: BridgeOptions;
  access: ConversationAccessCheck | undefined;
  /** Conversations the connection is a member of now. */
  memberships: number;
  request: JoinRequest;
  cache: Map<string, number>;
}): Promise<void> {
  const max = input.options.maxConversationsPerConnection;
  if (input.memberships >= max) {
    throw new BridgeError('too_many_conversations', `at most ${max} conversations per connection`);
  }
  if (input.access && !(await input.access(input.request, input.cache))) {
    const id = input.request.conversationId;
    throw new BridgeError('forbidden', `conversation "${id}" is not yours to join`);
  }
}

/** Build the join check of a bridge's options. */
export function createConversationAccess(
  options: BridgeOptions,
  fetcher: typeof fetch,
): ConversationAccessCheck {
  const access = toConversationAccess(options);
  if (access === 'open') return async () => true;
  if (access === 'token') {
    return async ({ conversationId, grant }) =>
      grant.conversations !== undefined && matchesConversation(conversationId, grant.conversations);
  }
  const url = options.joinAuthUrl;
  if (url === undefined)
    throw new OptionError('--conversation-access check: needs --join-auth-url');
  return async ({ conversationId, grant, headers }, cache) => {
    const now = Date.now();
    const until = cache.get(conversationId);
    if (until !== undefined && until > now) return true;
    cache.delete(conversationId);
    const target = new URL(url);
    target.searchParams.set('conversation_id', conversationId);
    let ok: boolean;
    try {
      const response = await fetcher(target.href, {
        method: 'GET',
        headers: { ...headers },
        redirect: 'manual',
        signal: AbortSignal.timeout(DEFAULT_AUTH_TIMEOUT_MS),
      });
      await response.body?.cancel().catch(() => {});
      ok = response.status >= 200 && response.status <= 299;
    } catch {
      ok = false; // fail closed
    }
    if (ok) {
      if (cache.size >= MAX_CACHED_ANSWERS) cache.clear();
      cache.set(conversationId, Math.min(now + DEFAULT_JOIN_CACHE_MS, grant.expiresAt ?? Infinity));
    }
    return ok;
  };
}
