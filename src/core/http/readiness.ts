/**
 * Readiness (`GET /readyz`): whether this instance should be sent new clients. It is ready when the
 * upstream answers a cheap probe and every extra check (the shared store, once there is one)
 * passes; once shutdown started it is draining, at once and without probing. Results are cached
 * briefly so load balancers polling every instance do not become traffic on the backend.
 */
import { createLifecycle, type Lifecycle } from '../internal/lifecycle.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';
import { errorCodeOf } from '../upstream/client.ts';
import { ERROR_TABLE } from '../internal/errors.ts';

/**
 * Load balancers poll every 1-10 s: one probe per 5 s per instance bounds the backend traffic
 * while an outage still shows within one or two polls.
 */
export const DEFAULT_READINESS_CACHE_MS = 5_000;
/** A backend that cannot answer a HEAD in 2 s should not get new users; under common 5 s LB check timeouts. */
export const DEFAULT_READINESS_TIMEOUT_MS = 2_000;

/** One dependency readiness waits for. */
export interface ReadinessCheck {
  /** Its name in the report: `upstream`, `store`, … */
  readonly name: string;
  /** Resolves when the dependency answers, rejects (the reason as message) when it does not. */
  probe(signal: AbortSignal): Promise<void>;
}

/** What `/readyz` answers: 200 for `ready`, 503 otherwise. */
export type ReadinessReport =
  | { status: 'ready'; checks: Record<string, string> }
  | { status: 'not_ready'; reason: string; checks: Record<string, string> }
  | { status: 'draining' };

/** The readiness of one instance. */
export interface Readiness {
  /** The current report: cached, probed now, or `draining`. */
  check(): Promise<ReadinessReport>;
  /** Shutdown started: report `draining` from now on. */
  startDraining(): void;
  readonly draining: boolean;
}

/** What readiness is built from. */
export interface ReadinessDeps {
  /** Every check must pass (the upstream probe first, then e.g. the shared store). */
  checks: readonly ReadinessCheck[];
  /** How long a result is reused. @default 5000 */
  cacheMs?: number;
  /** How long each check may take. @default 2000 */
  timeoutMs?: number;
  /** Monotonic milliseconds. @default performance.now */
  now?: () => number;
  /** The bridge's shutdown state (draining answers at once); its own unless given. */
  lifecycle?: Lifecycle;
}

/** Run one check within `timeoutMs`; resolves with `ok` or the reason it failed. */
async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string> {
  const controller = new AbortController();
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    // Raced as well as signalled: a check that ignores its signal still cannot hang /readyz.
    await Promise.race([check.probe(controller.signal), timeout]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    cancelTimer(timer);
  }
}

/** Create the readiness of one instance. */
export function createReadiness(deps: ReadinessDeps): Readiness {
  const cacheMs = deps.cacheMs ?? DEFAULT_READINESS_CACHE_MS;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  const now = deps.now ?? (() => performance.now());
  const lifecycle = deps.lifecycle ?? createLifecycle();
  let cached: { at: number; report: ReadinessReport } | undefined;
  let probing: Promise<ReadinessReport> | undefined;

  const probe = async (): Promise<ReadinessReport> => {
    const results = await Promise.all(deps.checks.map((c) => runCheck(c, timeoutMs)));
    const checks: Record<string, string> = {};
    deps.checks.forEach((c, i) => (checks[c.name] = results[i] as string));
    const failed = deps.checks.findIndex((_, i) => results[i] !== 'ok');
    if (failed === -1) return { status: 'ready', checks };
    const name = (deps.checks[failed] as ReadinessCheck).name;
    return { status: 'not_ready', reason: `${name}: ${results[failed] as string}`, checks };
  };

  return {
    get draining() {
      return lifecycle.draining;
    },
    startDraining: () => lifecycle.startDraining(),
    async check() {
      if (lifecycle.draining) return { status: 'draining' };
      if (cached && now() - cached.at < cacheMs) return cached.report;
      // Concurrent polls share one probe.
      probing ??= probe()
        .then((report) => {
          cached = { at: now(), report };
          return report;
        })
        .finally(() => {
          probing = undefined;
        });
      const report = await probing;
      return lifecycle.draining ? { status: 'draining' } : report;
    },
  };
}

/** The part of a `fetch` the upstream probe uses (global fetch, undici's, Workers'). */
export type ProbeFetch = (
  url: string,
  init: { method: string; redirect: 'manual'; signal: AbortSignal },
) => Promise<{ status: number; body: { cancel(): Promise<void> } | null }>;

/**
 * The upstream is reachable when it answers a HEAD with any status: a 404 or 405 from an endpoint
 * that only takes POST still proves the backend is up, and a HEAD starts no chat.
 */
export function createUpstreamCheck(url: string, fetchFn: ProbeFetch): ReadinessCheck {
  // fetch refuses URLs with credentials; without them the probe still proves reachability (a 401).
  const target = new URL(url);
  target.username = '';
  target.password = '';
  const probeUrl = target.href;
  return {
    name: 'upstream',
    async probe(signal) {
      let response: Awaited<ReturnType<ProbeFetch>>;
      try {
        response = await fetchFn(probeUrl, { method: 'HEAD', redirect: 'manual', signal });
      } catch (error) {
        // The code only (ECONNREFUSED, ENOTFOUND, …): the URL may carry credentials.
        const detail = errorCodeOf(error) ?? (error instanceof Error ? error.name : 'failed');
        throw new Error(`unreachable (${detail})`, { cause: error });
      }
      await response.body?.cancel().catch(() => {});
    },
  };
}

/** The `/readyz` response for a report. */
export function toReadinessResponse(report: ReadinessReport): Response {
  return new Response(JSON.stringify(report), {
    // Not ready answers like a busy server: the load balancer tries another instance.
    status: report.status === 'ready' ? 200 : ERROR_TABLE.server_busy.status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}
