/**
 * Streams belong to whoever started them. A stream is stored under its request id scoped to its
 * owner (the verified user, else the connection), so another user's `chat_message` with the same
 * request id is a different stream (no attach, no pre-claim), and a resume or cancel names the
 * caller's own stream unless it presents that stream's resume token.
 *
 * A resume token is `<secret>.<owner>` (base64url): the owner part finds the stream, the secret
 * (128 random bits, kept only as its SHA-256) proves the right to it.
 */
import { BridgeError } from '../internal/errors.ts';
import type { Registry, StreamInfo } from './registry.ts';

/** Random bytes in a resume token's secret (128 bits). */
export const RESUME_SECRET_BYTES = 16;
/** Longest resume token accepted: the secret plus an owner part holding a long user id. */
export const MAX_RESUME_TOKEN_LENGTH = 1_024;
const RESUME_TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/;

/** The owner of the streams a client starts: `u:<user id>` when verified, else `c:<session id>`. */
export function toStreamOwner(userId: string | undefined, sessionId: string): string {
  return userId !== undefined ? `u:${userId}` : `c:${sessionId}`;
}

/**
 * The registry key of a client's request id: scoped to the owner. Request ids are visible ASCII
 * without spaces, so the space keeps every owner's ids apart.
 */
export function toStreamKey(requestId: string, owner: string): string {
  return `${requestId} ${owner}`;
}

/** The owner part of a registry key made by {@link toStreamKey}. */
export function ownerOfStreamKey(key: string): string | undefined {
  const space = key.indexOf(' ');
  return space === -1 ? undefined : key.slice(space + 1);
}

/** The request id the client chose, as frames, acks and the upstream carry it. */
export function clientRequestIdOf(info: StreamInfo): string {
  return info.clientRequestId ?? info.requestId;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The SHA-256 (hex) under which a stream keeps its resume token. */
export async function hashResumeToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new resume token for a stream of `owner`, and the hash the stream keeps. */
export async function newResumeToken(owner: string): Promise<{ token: string; hash: string }> {
  const secret = toBase64Url(crypto.getRandomValues(new Uint8Array(RESUME_SECRET_BYTES)));
  const token = `${secret}.${toBase64Url(new TextEncoder().encode(owner))}`;
  return { token, hash: await hashResumeToken(token) };
}

/** The owner a resume token names, or undefined for anything that is not a resume token. */
export function ownerOfResumeToken(token: string): string | undefined {
  if (token.length > MAX_RESUME_TOKEN_LENGTH || !RESUME_TOKEN_PATTERN.test(token)) return undefined;
  const bytes = fromBase64Url(token.slice(token.indexOf('.') + 1));
  if (bytes === undefined) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The registry key of a stream a client (owner `owner`) may resume or cancel: its own under that
 * request id, or the one whose resume token it presents. Undefined when the token proves nothing,
 * which the caller answers exactly as an unknown id (no oracle).
 */
export async function resolveStreamKey(
  registry: Registry,
  requestId: string,
  owner: string,
  token?: string,
): Promise<string | undefined> {
  const ownKey = toStreamKey(requestId, owner);
  const tokenOwner = token === undefined ? undefined : ownerOfResumeToken(token);
  if (token === undefined || tokenOwner === undefined || tokenOwner === owner) return ownKey;
  const key = toStreamKey(requestId, tokenOwner);
  const found = await registry.readFrames(key, Number.MAX_SAFE_INTEGER);
  if (found.status !== 'ok') return undefined;
  const expected = found.info.resumeTokenHash;
  return expected !== undefined && expected === (await hashResumeToken(token)) ? key : undefined;
}

/** The `resume_token` of a chat_resume / chat_cancel, validated at the boundary. */
export function toOptionalResumeToken(data: Record<string, unknown>): string | undefined {
  const value = data.resume_token;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_RESUME_TOKEN_LENGTH) {
    throw new BridgeError('bad_request', 'resume_token must be a string');
  }
  return value;
}
