/**
 * A client's credentials at connect: a JWT (HS256 secret or a JWKS, verified with jose on Web
 * Crypto) and the legacy API's own auth URL. Both answer with a refusal reason or the user.
 */
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { type Handshake, toForwardedHeaders } from '../protocol/handshake.ts';
import { OptionError } from '../config/option-error.ts';
import type { BridgeOptions } from '../config/types.ts';

/** Tolerated clock skew between the token issuer and this host. */
export const DEFAULT_JWT_CLOCK_TOLERANCE_S = 5;
/** A JWKS or auth URL slower than this refuses the connection (fail closed, never hang). */
export const DEFAULT_AUTH_TIMEOUT_MS = 5_000;

/** JWKS algorithms: asymmetric only, so a public key never serves as an HMAC secret. */
const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** What a check found: the user it admits, or why it refuses (`reason` is for logs only). */
export type CredentialOutcome =
  | {
      ok: true;
      userId?: string | undefined;
      /** When the credentials stop being valid (a JWT's `exp`, ms since the epoch). */
      expiresAt?: number | undefined;
      /** A JWT's conversations claim (ids and `prefix*` patterns). */
      conversations?: string[] | undefined;
    }
  | { ok: false; reason: string; message: string };

/** The ids and patterns of a JWT's conversations claim (a list, or one space-separated string). */
export function toConversationPatterns(claim: unknown): string[] | undefined {
  if (typeof claim === 'string') return claim.split(/\s+/).filter((s) => s !== '');
  if (!Array.isArray(claim)) return undefined;
  return claim.filter((item): item is string => typeof item === 'string' && item !== '');
}

/** Checks one handshake's credentials. */
export type CredentialCheck = (handshake: Handshake) => Promise<CredentialOutcome>;

const refused = (reason: string, message: string): CredentialOutcome => ({
  ok: false,
  reason,
  message,
});

/**
 * The token a client presented: `Authorization: Bearer …` first (what is forwarded upstream),
 * else Socket.IO `auth.token` / `?token=`.
 */
export function toPresentedToken(handshake: Handshake): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(handshake.headers.authorization ?? '');
  if (match?.[1] !== undefined) return match[1];
  return handshake.token === '' ? undefined : handshake.token;
}

/** The JWT check for `jwtSecret` / `jwksUrl`, or undefined when neither is set. */
export function createJwtCheck(
  options: BridgeOptions,
  fetcher: typeof fetch,
): CredentialCheck | undefined {
  const { jwtSecret, jwksUrl } = options;
  if (jwtSecret === undefined && jwksUrl === undefined) return undefined;
  // An empty secret would make every token signed with "" valid: refuse to start instead.
  if (jwtSecret === '') throw new OptionError('--jwt-secret: must not be empty');
  const secret = jwtSecret === undefined ? undefined : new TextEncoder().encode(jwtSecret);
  const jwks =
    jwksUrl === undefined
      ? undefined
      : createRemoteJWKSet(new URL(jwksUrl), {
          timeoutDuration: DEFAULT_AUTH_TIMEOUT_MS,
          [customFetch]: (url, init) => fetcher(url, init),
        });
  const getKey: JWTVerifyGetKey = (header, token) => {
    if (secret && header.alg === 'HS256') return secret;
    if (jwks) return jwks(header, token);
    // Unreachable: `algorithms` below already refused any other alg.
    throw new Error(`no key for alg ${String(header.alg)}`);
  };
  const algorithms = [...(secret ? ['HS256'] : []), ...(jwks ? JWKS_ALGORITHMS : [])];
  return async (handshake) => {
    const token = toPresentedToken(handshake);
    if (token === undefined) return refused('token_missing', 'a token is required');
    try {
      const { payload } = await jwtVerify(token, getKey, {
        algorithms,
        clockTolerance: DEFAULT_JWT_CLOCK_TOLERANCE_S,
        ...(options.jwtAudience !== undefined ? { audience: options.jwtAudience } : {}),
        ...(options.jwtIssuer !== undefined ? { issuer: options.jwtIssuer } : {}),
        ...(options.jwtRequireExp ? { requiredClaims: ['exp'] } : {}),
      });
      return {
        ok: true,
        userId: typeof payload.sub === 'string' ? payload.sub : undefined,
        expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
        conversations: toConversationPatterns(payload[options.conversationsClaim]),
      };
    } catch (error) {
      // jose's codes (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, …) name the cause.
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === 'string' ? code : 'token_invalid';
      const expired = code === 'ERR_JWT_EXPIRED';
      return refused(reason, expired ? 'the token has expired' : 'the token is invalid');
    }
  };
}

/** Longest connect-check answer read for its user id; anything longer is not a user record. */
export const DEFAULT_AUTH_BODY_BYTES = 65_536;

/**
 * The user a 2xx connect-check answer names: a JSON object's `userId` (or `user_id`), as a string.
 * Any other answer admits without a user.
 */
async function toAuthUrlUserId(response: Response): Promise<string | undefined> {
  const type = response.headers.get('content-type') ?? '';
  const length = Number(response.headers.get('content-length') ?? '0');
  if (!/\bjson\b/i.test(type) || length > DEFAULT_AUTH_BODY_BYTES) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  try {
    const text = await response.text();
    if (text.length > DEFAULT_AUTH_BODY_BYTES) return undefined;
    const body = JSON.parse(text) as { userId?: unknown; user_id?: unknown } | null;
    const id = body?.userId ?? body?.user_id;
    if (typeof id === 'string' && id !== '') return id;
    return typeof id === 'number' && Number.isFinite(id) ? String(id) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The legacy API's connect check for `authUrl`, or undefined when it is not set: a GET with the
 * headers that would be forwarded upstream; 2xx admits. Redirects are not followed (a login
 * redirect is a refusal).
 */
export function createAuthUrlCheck(
  options: BridgeOptions,
  fetcher: typeof fetch,
): CredentialCheck | undefined {
  const { authUrl } = options;
  if (authUrl === undefined) return undefined;
  return async (handshake) => {
    let response: Response;
    try {
      response = await fetcher(authUrl, {
        method: 'GET',
        headers: toForwardedHeaders(handshake, options.forwardHeaders),
        redirect: 'manual',
        signal: AbortSignal.timeout(DEFAULT_AUTH_TIMEOUT_MS),
      });
    } catch {
      return refused('auth_url_unreachable', 'the credentials could not be checked');
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel().catch(() => {});
      return refused(`auth_url_status_${response.status}`, 'the credentials were refused');
    }
    return { ok: true, userId: await toAuthUrlUserId(response) };
  };
}
