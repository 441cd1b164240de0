/**
 * The admin HTTP API, behind one bearer token (`--admin-token`): `POST /publish` delivers an event
 * to clients (one, a user's, a conversation's, or all) through the registry's topics, and
 * `GET /clients`, `GET /clients/:id` list the clients connected to this instance. Without a token
 * every route answers 404, as if it did not exist.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { SessionOpener } from '../session/opener.ts';
import { exceedsBytes } from '../internal/bytes.ts';
import { BridgeError } from '../internal/errors.ts';
import { isObject } from '../internal/json.ts';
import { RESERVED_EVENT_NAMES } from '../upstream/event-stream.ts';
import {
  BROADCAST_TOPIC,
  CLIENTS_TOPIC,
  conversationTopic,
  type Registry,
  userTopic,
} from '../registry/registry.ts';
import type { ClientProtocol, Session } from '../session/session.ts';

/** Client event names a publish may use: short, and safe to print in logs. */
const EVENT_NAME = /^[A-Za-z][\w.:-]{0,63}$/;
/** Ids in a publish target: the same printable ASCII as request and conversation ids. */
const TARGET_ID = /^[\x21-\x7e]{1,256}$/;

/** Who a publish goes to. */
export type PublishTarget =
  { client: string } | { user: string } | { conversation: string } | 'all';

/** A validated `POST /publish` body. */
export interface PublishRequest {
  event: string;
  data: Record<string, unknown>;
  to: PublishTarget;
}

/** One connected client as `GET /clients` lists it. */
export interface ClientInfo {
  id: string;
  protocol: ClientProtocol;
  /** The verified user (JWT `sub`, connect-check `userId`, or `onConnect`), else null. */
  userId: string | null;
  conversations: string[];
  /** ms since the epoch, like every `timestamp`. */
  connectedAt: number;
  /** When the client last sent a message (ms since the epoch). */
  lastActiveAt: number;
  remoteAddress: string | null;
  /** Running streams this client started. */
  streams: number;
}

/** What the admin API reads and publishes through. */
export interface AdminApiDeps {
  bridge: Pick<SessionOpener, 'sessions' | 'options'>;
  registry: Registry;
}

/** The `/clients` view of a session. */
export function toClientInfo(session: Session): ClientInfo {
  return {
    id: session.id,
    protocol: session.connection.protocol,
    userId: session.userId ?? null,
    conversations: session.conversationIds,
    connectedAt: session.connectedAt,
    lastActiveAt: session.lastActiveAt,
    remoteAddress: session.connection.remoteAddress ?? null,
    streams: session.runningStreams,
  };
}

const badRequest = (message: string): BridgeError => new BridgeError('bad_request', message);

/** Validate a publish body. @throws BridgeError `bad_request` naming the problem. */
export function toPublishRequest(body: unknown): PublishRequest {
  if (!isObject(body)) throw badRequest('the body must be a JSON object');
  const event = body.event ?? 'notification';
  if (typeof event !== 'string' || !EVENT_NAME.test(event)) {
    throw badRequest('"event" must be a name like "notification" (letters, digits, _ . : -)');
  }
  if (RESERVED_EVENT_NAMES.has(event)) throw badRequest(`"${event}" is reserved`);
  const data = body.data ?? {};
  if (!isObject(data)) throw badRequest('"data" must be a JSON object');
  const to = body.to;
  if (to === 'all') return { event, data, to };
  if (!isObject(to) || Object.keys(to).length !== 1) {
    throw badRequest('"to" must be "all" or one of {client}, {user}, {conversation}');
  }
  const [kind, id] = Object.entries(to)[0] as [string, unknown];
  if (kind !== 'client' && kind !== 'user' && kind !== 'conversation') {
    throw badRequest(`"to.${kind}" is not a target; use client, user or conversation`);
  }
  if (typeof id !== 'string' || !TARGET_ID.test(id)) {
    throw badRequest(`"to.${kind}" must be a non-empty id of printable ASCII`);
  }
  return { event, data, to: { [kind]: id } as PublishTarget };
}

/** The topic a target listens on. */
export function toTargetTopic(to: PublishTarget): string {
  if (to === 'all') return BROADCAST_TOPIC;
  if ('client' in to) return CLIENTS_TOPIC;
  if ('user' in to) return userTopic(to.user);
  return conversationTopic(to.conversation);
}

/** Whether a session of this instance is among a target's receivers. */
export function isTargeted(session: Session, to: PublishTarget): boolean {
  if (session.isClosed) return false;
  if (to === 'all') return true;
  if ('client' in to) return session.id === to.client;
  if ('user' in to) return session.userId === to.user;
  return session.conversationIds.includes(to.conversation);
}

/** Compare two secrets in time independent of where they differ (only their lengths leak). */
export function isSameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ (b[i] as number);
  return diff === 0;
}

/**
 * Publish an event to a target's topic; resolves with how many sockets of this instance it
 * reached (counted before publishing: a client that leaves meanwhile was still targeted).
 */
export async function publishEvent(deps: AdminApiDeps, request: PublishRequest): Promise<number> {
  const { event, data, to } = request;
  let delivered = 0;
  for (const session of deps.bridge.sessions) if (isTargeted(session, to)) delivered++;
  await deps.registry.publish(toTargetTopic(to), {
    kind: 'event',
    event,
    data: { ...data, timestamp: Date.now() },
    ...(to !== 'all' && 'client' in to ? { toSession: to.client } : {}),
  });
  return delivered;
}

/** This instance's clients, optionally only a user's or a conversation's. */
export function listClients(
  sessions: Iterable<Session>,
  filter: { user?: string | undefined; conversation?: string | undefined } = {},
): ClientInfo[] {
  const { user, conversation } = filter;
  const clients: ClientInfo[] = [];
  for (const session of sessions) {
    if (user !== undefined && session.userId !== user) continue;
    if (conversation !== undefined && !session.conversationIds.includes(conversation)) continue;
    clients.push(toClientInfo(session));
  }
  return clients;
}

const toErrorResponse = (c: Context, error: BridgeError) => c.json(error.toPayload(), error.status);

/** Mount `/publish` and `/clients` on `app`. */
export function mountAdminApi(app: Hono, deps: AdminApiDeps): void {
  const { bridge } = deps;
  const token = bridge.options.adminToken;
  const guard: MiddlewareHandler = async (c, next) => {
    if (token === undefined) return c.notFound();
    const match = /^bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    if (!match?.[1] || !isSameSecret(match[1], token)) {
      c.header('www-authenticate', 'Bearer');
      const error = new BridgeError('unauthorized', 'a valid admin token is required');
      return toErrorResponse(c, error);
    }
    return next();
  };
  for (const path of ['/publish', '/clients', '/clients/*']) app.use(path, guard);

  app.post('/publish', async (c) => {
    const text = await c.req.text();
    if (exceedsBytes(text, bridge.options.maxMessageBytes)) {
      return toErrorResponse(c, new BridgeError('message_too_big'));
    }
    let request: PublishRequest;
    try {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw badRequest('the body is not JSON');
      }
      request = toPublishRequest(body);
    } catch (error) {
      return toErrorResponse(c, error as BridgeError);
    }
    return c.json({ delivered: await publishEvent(deps, request) });
  });

  app.get('/clients', (c) =>
    c.json({
      clients: listClients(bridge.sessions, {
        user: c.req.query('user'),
        conversation: c.req.query('conversation'),
      }),
    }),
  );

  app.get('/clients/:id', (c) => {
    const id = c.req.param('id');
    for (const session of bridge.sessions) {
      if (session.id === id) return c.json(toClientInfo(session));
    }
    return toErrorResponse(c, new BridgeError('unknown_client', `no client "${id}" here`));
  });
}
