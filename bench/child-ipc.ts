/**
 * The parent <-> child protocol of the benchmark: a child announces its port once it listens and
 * answers `stats` with its own CPU time and RSS, so every figure is per process.
 */

/** What a child answers to `{type: 'stats'}`. */
export interface ChildStats {
  /** user + system CPU time since the child started, µs. */
  cpuUs: number;
  /** Resident set size, bytes (after a full GC when asked for one). */
  rss: number;
  /** V8 heap in use, bytes (NaN for non-Node children). */
  heapUsed: number;
}

/** A request from the parent. */
export interface StatsRequest {
  type: 'stats';
  id: number;
  gc: boolean;
}

/** Announce `port` to the parent and serve its stats requests until it goes away. */
export function reportReady(port: number): void {
  const send = process.send?.bind(process);
  if (send === undefined)
    throw new Error('run this file through bench/run.ts (needs an IPC channel)');
  process.on('message', (message: StatsRequest) => {
    if (message.type !== 'stats') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc && gc) {
      gc();
      gc();
    }
    const cpu = process.cpuUsage();
    send({
      type: 'stats',
      id: message.id,
      cpuUs: cpu.user + cpu.system,
      rss: process.memoryUsage.rss(),
      heapUsed: process.memoryUsage().heapUsed,
    });
  });
  // The parent died or closed the channel: nothing left to serve.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port });
}

/** The upstream URL the parent passes to relays and bridges. */
export function upstreamUrlFromEnv(): string {
  const url = process.env['BENCH_UPSTREAM_URL'];
  if (url === undefined) throw new Error('BENCH_UPSTREAM_URL is not set');
  return url;
}
