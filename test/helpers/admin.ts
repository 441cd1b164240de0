/** The admin API and signed users, for the publish, clients and events tests. */
import { SignJWT } from 'jose';

/** The admin token the tests configure. */
export const ADMIN = 'admin-token-for-tests';
/** The HS256 secret the tests' user tokens are signed with. */
export const SECRET = 'jwt-secret-for-publish-tests';

/** An HS256 token for `sub`, allowed to join every conversation (`*`). */
export function tokenFor(sub: string, secret = SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub, iat: now, exp: now + 300, conversations: ['*'] })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

/** Call the admin API with the admin token (or the given one, or none). */
export async function admin(
  baseUrl: string,
  path: string,
  init: { body?: unknown; token?: string | null; method?: string } = {},
): Promise<{ status: number; body: any }> {
  const token = init.token === undefined ? ADMIN : init.token;
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      'content-type': 'application/json',
    },
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
  const isJson = response.headers.get('content-type')?.includes('json') === true;
  return { status: response.status, body: isJson ? await response.json() : await response.text() };
}
