/**
 * Host names and addresses: which bind is loopback, and which `Host` header names a loopback
 * server. Against DNS rebinding, a loopback bridge only answers to loopback names.
 */
import { OptionError } from '../config/option-error.ts';
import type { BridgeOptions } from '../config/types.ts';

/** The names a loopback server is reached by. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** Whether a listen address is loopback-only (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopbackBind(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The last `Host` value read and its name: a server's clients send the same few, and parsing one
 * makes a URL and its strings on every connect.
 */
let lastHost: { header: string; name: string | undefined } | undefined;

/** The name of a `Host` header value, lower case, without its port (`[::1]` keeps its brackets). */
export function hostNameOf(hostHeader: string): string | undefined {
  if (lastHost?.header === hostHeader) return lastHost.name;
  let name: string | undefined;
  try {
    name = new URL(`http://${hostHeader.trim()}`).hostname.toLowerCase();
  } catch {
    name = undefined;
  }
  lastHost = { header: hostHeader, name };
  return name;
}

/**
 * Whether a request's `Host` is acceptable: one of `allowedHosts` when that is set (a listed name
 * with a port matches only that port), else on a loopback bind only a loopback name; anything on
 * another bind or where there is none (Workers). A request without Host passes (HTTP/1.0).
 */
export function isHostAllowed(
  hostHeader: string | undefined,
  bindHost: string | undefined,
  allowedHosts: readonly string[] | undefined,
): boolean {
  if (hostHeader === undefined || hostHeader === '') return true;
  const name = hostNameOf(hostHeader);
  if (name === undefined) return false;
  if (allowedHosts !== undefined) {
    const withPort = hostHeader.trim().toLowerCase();
    return allowedHosts.some((allowed) => allowed === name || allowed === withPort);
  }
  if (bindHost === undefined || !isLoopbackBind(bindHost)) return true;
  return LOOPBACK_HOST_NAMES.includes(name) || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * Refuse option combinations that would let any website act as the logged-in user: `*` in
 * `allowedOrigins` while cookies are forwarded upstream, unless explicitly accepted.
 * @throws OptionError naming both options.
 */
export function assertOriginPolicy(options: BridgeOptions): void {
  const anyOrigin = options.allowedOrigins?.includes('*') === true;
  if (
    anyOrigin &&
    options.forwardHeaders.includes('cookie') &&
    !options.allowAnyOriginWithCredentials
  ) {
    throw new OptionError(
      '--allowed-origins: "*" while cookies are forwarded (--forward-headers) lets any website act as the logged-in user; list the origins, stop forwarding cookie, or pass --allow-any-origin-with-credentials',
    );
  }
}

/**
 * The start-up warning of a bridge reachable from other hosts that checks no Host and compares
 * Origins with the Host a client sent (DNS rebinding), or undefined when there is nothing to say.
 */
export function toExposureWarning(options: BridgeOptions): string | undefined {
  if (isLoopbackBind(options.host)) return undefined;
  if (options.allowedHosts !== undefined || options.allowedOrigins !== undefined) return undefined;
  return `listening on ${options.host} without --allowed-hosts or --allowed-origins: browser Origins are compared with the Host header the client sent; set --allowed-hosts (SSE2WS_ALLOWED_HOSTS) to the public names, or --allowed-origins to the pages that may connect`;
}
