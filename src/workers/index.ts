/**
 * The Cloudflare Workers entry (wrangler.toml `main`): the shared Hono app (`/healthz`, `/ws`) with
 * Cloudflare's upgradeWebSocket, Socket.IO over WebSocket at `/socket.io/`, and the Durable Objects
 * that own streams and conversations.
 */
import { upgradeWebSocket } from 'hono/cloudflare-workers';
import {
  OptionError,
  createAdmission,
  createClientEntry,
  createConversationAccess,
  createHttpApp,
  createJwtCheck,
  createSessionOpener,
  resolveProfile,
  silentObserver,
  type SessionHost,
  BridgeError,
} from '../core/index.ts';
import { type Env, loadConfig, loadOptions } from './env.ts';
import { createWorkersLogger } from './logger.ts';
import { createObjectRegistry } from './registry.ts';
import { mountSocketIo } from './socketio.ts';
import { createObjectStreamHost } from './stream-host.ts';

export { ConversationObject } from './conversation-object.ts';
export { StreamObject } from './stream-object.ts';

type App = ReturnType<typeof createHttpApp>;
const apps = new WeakMap<Env, App>();

function appFor(env: Env): App {
  const cached = apps.get(env);
  if (cached) return cached;
  const options = loadOptions(env);
  const host: SessionHost = {
    ...createObjectStreamHost(env),
    options,
    registry: createObjectRegistry(env),
    observer: silentObserver,
    // Workers' fetch throws "Illegal invocation" when called as a method of another object.
    conversationAccess: createConversationAccess(options, (input, init) => fetch(input, init)),
    refreshCheck: createJwtCheck(options, (input, init) => fetch(input, init)),
  };
  const profile = resolveProfile(options.profile, loadConfig(env)?.profiles);
  const opener = createSessionOpener(host, createWorkersLogger(options.logLevel), profile);
  const entry = createClientEntry(opener, createAdmission(opener, { fetch }));
  const app = createHttpApp({
    entry,
    upgradeWebSocket,
    wsHooks: {
      // A closed client's leave/unsubscribe calls must finish after its request context ends.
      onClose: (session, c) => c.executionCtx.waitUntil(session.settled()),
    },
  });
  mountSocketIo(app, entry);
  apps.set(env, app);
  return app;
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    let app: App;
    try {
      app = appFor(env);
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      const failure = new BridgeError('bad_config', error.message, { cause: error });
      return Response.json({ error: failure.toPayload() }, { status: failure.status });
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
