/**
 * The Worker's environment: `[vars]` with the same names as the Node env vars, and the Durable
 * Object bindings declared in wrangler.toml.
 */
import {
  createFetchUpstream,
  handleDemoChat,
  parseBridgeConfigText,
  refuseUnsupportedEnv,
  toResolvedOptions,
  type BridgeConfig,
  type BridgeOptions,
  type UpstreamClient,
} from '../core/index.ts';
import { WORKERS_UNSUPPORTED } from './unsupported-options.ts';

/** Bindings and vars of the Worker and its Durable Objects. */
export interface Env {
  /** One Durable Object per stream, named by request id. */
  STREAMS: DurableObjectNamespace;
  /** One Durable Object per conversation, named by conversation id. */
  CONVERSATIONS: DurableObjectNamespace;
  [variable: string]: unknown;
}

/**
 * The options of this deployment (vars are read once per isolate). `SSE2WS_CONFIG` holds the
 * config JSON itself (a Worker has no files); it is checked here too, so a bad one fails like a
 * bad option.
 * @throws OptionError (or its ConfigError) naming the var and the problem, or a var of an option
 * a Worker cannot honour ({@link WORKERS_UNSUPPORTED}).
 */
export function loadOptions(env: Env): BridgeOptions {
  return loadDeployment(env).options;
}

/** The parsed `SSE2WS_CONFIG`, or undefined when none is set. */
export function loadConfig(env: Env): BridgeConfig | undefined {
  return loadDeployment(env).config;
}

interface Deployment {
  options: BridgeOptions;
  config: BridgeConfig | undefined;
}

function loadDeployment(env: Env): Deployment {
  const cache = deploymentCache.get(env);
  if (cache) return cache;
  // The CLI's option table and checks; a var of an option a Worker cannot honour is refused.
  const options = toResolvedOptions(env);
  refuseUnsupportedEnv(env, { entry: 'the Workers entry', unsupported: WORKERS_UNSUPPORTED });
  const config =
    options.config === undefined
      ? undefined
      : parseBridgeConfigText(options.config, 'SSE2WS_CONFIG');
  const deployment = { options, config };
  deploymentCache.set(env, deployment);
  return deployment;
}
const deploymentCache = new WeakMap<Env, Deployment>();

/** Where the demo upstream answers when no SSE2WS_UPSTREAM_URL is configured. */
export const DEMO_UPSTREAM_URL = 'https://demo.sse2ws.invalid/chat';

/**
 * The upstream: the global fetch, or with no upstream configured the embedded demo backend called
 * in-process (a Worker cannot fetch its own URL), so `wrangler dev` streams at once.
 */
export function toUpstream(options: BridgeOptions): { url: string; client: UpstreamClient } {
  if (options.upstreamUrl !== undefined) {
    return { url: options.upstreamUrl, client: createFetchUpstream(fetch) };
  }
  const demoFetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    handleDemoChat(new Request(input, init));
  return { url: DEMO_UPSTREAM_URL, client: createFetchUpstream(demoFetch as typeof fetch) };
}
