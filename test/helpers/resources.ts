/**
 * Leak checks: what keeps the event loop alive (`process.getActiveResourcesInfo()`, counted by
 * type) and how many listeners chosen emitters hold, compared with a baseline taken before a
 * scenario ran.
 */

/** Counts by name (resource type, or listener probe label). */
export type Counts = Record<string, number>;

/** One emitter event whose listener count must come back to where it was. */
export interface ListenerProbe {
  label: string;
  emitter: { listenerCount(event: string | symbol): number };
  event: string | symbol;
}

/** Resources and listeners at one moment. */
export interface Snapshot {
  resources: Counts;
  listeners: Counts;
}

/**
 * Resource types compared exactly rather than "not above the baseline": after every client closed,
 * no TCP socket may remain, and none of the baseline's may have gone either.
 */
export const EXACT_RESOURCES: readonly string[] = ['TCPSocketWrap'];

/** Active resources (sockets, servers, ref'd timers, ...) counted by type. */
export function countResources(): Counts {
  const counts: Counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Take a snapshot of the resources and of the probed listener counts. */
export function takeSnapshot(probes: readonly ListenerProbe[] = []): Snapshot {
  const listeners: Counts = {};
  for (const probe of probes) listeners[probe.label] = probe.emitter.listenerCount(probe.event);
  return { resources: countResources(), listeners };
}

/**
 * What differs from the baseline, one line each: a resource type above it (or, for
 * `exact` types, different at all) and any listener count that changed.
 */
export function compareWithBaseline(
  baseline: Snapshot,
  now: Snapshot,
  exact: readonly string[] = EXACT_RESOURCES,
): string[] {
  const problems: string[] = [];
  const types = new Set([...Object.keys(baseline.resources), ...Object.keys(now.resources)]);
  for (const type of [...types].sort()) {
    const before = baseline.resources[type] ?? 0;
    const after = now.resources[type] ?? 0;
    if (after > before || (exact.includes(type) && after !== before)) {
      problems.push(`${type}: ${before} before, ${after} after`);
    }
  }
  for (const [label, before] of Object.entries(baseline.listeners)) {
    const after = now.listeners[label];
    if (after !== before) problems.push(`listeners ${label}: ${before} before, ${after} after`);
  }
  return problems;
}

/**
 * Poll until nothing differs from the baseline (and `extra` reports nothing), at most `timeoutMs`;
 * resolves with what still differs then (empty when everything settled).
 */
export async function settleToBaseline(
  baseline: Snapshot,
  probes: readonly ListenerProbe[],
  options: { timeoutMs?: number; exact?: readonly string[]; extra?: () => string[] } = {},
): Promise<string[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const problems = [
      ...compareWithBaseline(baseline, takeSnapshot(probes), options.exact),
      ...(options.extra?.() ?? []),
    ];
    if (problems.length === 0 || Date.now() >= deadline) return problems;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Wait (at most `timeoutMs`) until no resource of `types` is active: a baseline taken while an
 * earlier test's sockets are still closing would hide a leak of the same size.
 */
export async function waitUntilNone(
  types: readonly string[] = EXACT_RESOURCES,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const active = () => types.some((type) => (countResources()[type] ?? 0) > 0);
  while (active() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Listener probes on `process` for the signals and error hooks a server might add. */
export function processProbes(): ListenerProbe[] {
  const events = ['SIGTERM', 'SIGINT', 'exit', 'uncaughtException', 'unhandledRejection'];
  return events.map((event) => ({ label: `process ${event}`, emitter: process, event }));
}
