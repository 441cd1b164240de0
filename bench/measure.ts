/** One measurement each: a latency run, a saturation run, time to first frame, idle RSS, syscalls. */
import { spawn } from 'node:child_process';
import type { ChildStats } from './child-ipc.ts';
import type { ChildHandle } from './children.ts';
import { connectArm, connectMany, type Arm } from './clients.ts';
import { percentile, sortedOf } from './stats.ts';

const now = () => Number(process.hrtime.bigint());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Latency percentiles of one run, µs. */
export interface LatencyRun {
  p50: number;
  p90: number;
  p99: number;
  frames: number;
  expected: number;
  /** Every sample, µs, so a block can pool its two runs of an arm. */
  samples: number[];
  /** The relay's CPU per delivered frame at this pace, µs (NaN without a relay process). */
  relayCpuUsPerFrame: number;
  /** The relay's CPU time over the run's wall time: how busy its one JS thread was (0–1+). */
  relayBusy: number;
  /** A process the relay works through (the BR arm's redis-server): its CPU per frame, µs. */
  sidecarCpuUsPerFrame: number;
  /** The same for the upstream process and for the clients (this process), NaN when unknown. */
  upstreamBusy: number;
  clientsBusy: number;
}

/**
 * `streams` clients, one stream each at `rate` frames/s for `seconds`. Starts are spread over one
 * frame interval so the upstream does not emit every stream's frame in the same tick.
 */
export async function latencyRun(
  arm: Arm,
  url: string,
  p: {
    streams: number;
    rate: number;
    seconds: number;
    size: number;
    /** Spread the starts over this long instead of one frame interval. */
    spreadSeconds?: number;
    /** Each stream's first frames not sampled (still counted as received): the steady state. */
    warmupFrames?: number;
  },
  extra: {
    /** Called once half-way through, with every stream running (the sessions ramp reads RSS). */
    midway?: () => void;
    /** The relay process, for its CPU time. */
    relay?: ChildHandle | undefined;
    /** The upstream process, for its CPU time. */
    upstream?: ChildHandle | undefined;
    /** A process the relay works through (redis-server), for its CPU time. */
    sidecar?: { stats(): Promise<ChildStats> } | undefined;
  } = {},
): Promise<LatencyRun> {
  const { midway, relay, upstream, sidecar } = extra;
  const clients = await connectMany(arm, url, p.streams);
  const [cpu0, up0, side0] = await Promise.all([
    relay?.stats(),
    upstream?.stats(),
    sidecar?.stats(),
  ]);
  const own0 = process.cpuUsage();
  const t0 = now();
  const count = Math.round(p.rate * p.seconds);
  const samples: number[] = [];
  let received = 0;
  const warmup = p.warmupFrames ?? 0;
  const gapMs = ((p.spreadSeconds ?? 1 / p.rate) * 1000) / p.streams;
  const halfway = midway && setTimeout(midway, 1000 / p.rate + (p.seconds * 1000) / 2);
  await Promise.all(
    clients.map(async (client, i) => {
      await sleep(i * gapMs);
      await client.stream({ rate: p.rate, size: p.size, count }, (content, recvNs) => {
        received++;
        if (content.s >= warmup) samples.push((recvNs - content.t) / 1000);
      });
    }),
  );
  clearTimeout(halfway);
  const wallUs = (now() - t0) / 1000;
  const own = process.cpuUsage(own0);
  const [cpu1, up1, side1] = await Promise.all([
    relay?.stats(),
    upstream?.stats(),
    sidecar?.stats(),
  ]);
  for (const c of clients) c.close();
  const relayCpuUs = cpu0 && cpu1 ? cpu1.cpuUs - cpu0.cpuUs : NaN;
  const sidecarCpuUs = side0 && side1 ? side1.cpuUs - side0.cpuUs : NaN;
  const upstreamCpuUs = up0 && up1 ? up1.cpuUs - up0.cpuUs : NaN;
  const sorted = sortedOf(samples);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    frames: received,
    expected: count * p.streams,
    samples,
    relayCpuUsPerFrame: relayCpuUs / received,
    relayBusy: relayCpuUs / wallUs,
    sidecarCpuUsPerFrame: sidecarCpuUs / received,
    upstreamBusy: upstreamCpuUs / wallUs,
    clientsBusy: (own.user + own.system) / wallUs,
  };
}

/** One step of the sessions ramp. */
export interface SessionsStep {
  sessions: number;
  p50: number;
  p99: number;
  lost: number;
  /** The bridge's RSS half-way through the step, bytes. */
  rss: number;
  /** CPU time over wall time of the bridge, the upstream and the clients (1 = one core). */
  bridgeBusy: number;
  upstreamBusy: number;
  clientsBusy: number;
}

/** The most sessions whose frames all arrived with p99 under this (issue's target). */
export const RAMP_P99_LIMIT_US = 250_000;
/** The ramp goes on past the limit (for the RSS slope) until p99 passes this or a frame is lost. */
export const RAMP_GIVE_UP_P99_US = 2_000_000;

/**
 * (c) Sessions ramp: `steps` concurrent streaming sessions in turn (one connection and one
 * stream each, `rate` frames/s), until a step loses a frame or its p99 passes 2 s (steps past
 * the 250 ms limit still give RSS points).
 */
export async function sessionsRamp(
  arm: Arm,
  child: ChildHandle,
  upstream: ChildHandle,
  p: {
    steps: number[];
    rate: number;
    seconds: number;
    size: number;
    spreadSeconds?: number;
    warmupFrames?: number;
  },
  log: (line: string) => void,
): Promise<SessionsStep[]> {
  const out: SessionsStep[] = [];
  for (const sessions of p.steps) {
    let rss = NaN;
    const run = await latencyRun(
      arm,
      child.url,
      { ...p, streams: sessions },
      {
        midway: () => void child.stats().then((s) => (rss = s.rss)),
        relay: child,
        upstream,
      },
    );
    const step = {
      sessions,
      p50: run.p50,
      p99: run.p99,
      lost: run.expected - run.frames,
      rss,
      bridgeBusy: run.relayBusy,
      upstreamBusy: run.upstreamBusy,
      clientsBusy: run.clientsBusy,
    };
    const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
    log(
      `ramp ${arm} ${sessions} sessions: p99 ${(run.p99 / 1000).toFixed(1)} ms, lost ${step.lost}, rss ${(rss / 1e6).toFixed(0)} MB, busy: bridge ${pct(step.bridgeBusy)}, upstream ${pct(step.upstreamBusy)}, clients ${pct(step.clientsBusy)}`,
    );
    out.push(step);
    if (step.lost > 0 || step.p99 > RAMP_GIVE_UP_P99_US) break;
    // Let the previous step's sockets close before the next one opens as many again.
    await sleep(1_000);
  }
  return out;
}

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return num / den;
}

/** Pool runs' samples into percentiles. */
export function pooled(runs: LatencyRun[]): { p50: number; p90: number; p99: number } {
  const sorted = sortedOf(runs.flatMap((r) => r.samples));
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) };
}

/** Throughput and CPU of one as-fast-as-possible run. */
export interface SaturationRun {
  frames: number;
  framesPerSecond: number;
  /** The relay's CPU per delivered frame, µs (NaN for A0: there is no relay). */
  relayCpuUsPerFrame: number;
  upstreamCpuUsPerFrame: number;
}

/** `streams` connections each pulling `frames` frames of `size` bytes with no pacing. */
export async function saturationRun(
  arm: Arm,
  url: string,
  relay: ChildHandle | undefined,
  upstream: ChildHandle,
  p: { streams: number; frames: number; size: number },
): Promise<SaturationRun> {
  const clients = await connectMany(arm, url, p.streams);
  let frames = 0;
  const [r0, u0] = await Promise.all([relay?.stats(), upstream.stats()]);
  const t0 = now();
  await Promise.all(
    clients.map((c) => c.stream({ rate: 0, size: p.size, count: p.frames }, () => frames++)),
  );
  const seconds = (now() - t0) / 1e9;
  const [r1, u1] = await Promise.all([relay?.stats(), upstream.stats()]);
  for (const c of clients) c.close();
  return {
    frames,
    framesPerSecond: frames / seconds,
    relayCpuUsPerFrame: r0 && r1 ? (r1.cpuUs - r0.cpuUs) / frames : NaN,
    upstreamCpuUsPerFrame: (u1.cpuUs - u0.cpuUs) / frames,
  };
}

/** Connect + send + first frame, ms, on a new connection. */
export async function timeToFirstFrame(arm: Arm, url: string): Promise<number> {
  const t0 = now();
  const client = await connectArm(arm, url);
  let first = NaN;
  await client.stream({ rate: 0, size: 64, count: 1 }, (_content, recvNs) => {
    first = recvNs;
  });
  client.close();
  return (first - t0) / 1e6;
}

/**
 * RSS and heap growth per idle connection, bytes: slopes between 0 and `n` connections, opened
 * as `arm`'s client (`B`: `/ws`, `B'`: socket.io-client over the websocket transport).
 */
export async function memoryPerIdleConnection(
  child: ChildHandle,
  n: number,
  arm: 'B' | "B'" = 'B',
): Promise<{ rss: number; heap: number }> {
  // One round first, so state made once (pools, JIT code) is in the baseline.
  for (const c of await connectMany(arm, child.url, 100)) c.close();
  await sleep(500);
  const before = await child.stats(true);
  const clients = await connectMany(arm, child.url, n);
  await sleep(500);
  const after = await child.stats(true);
  for (const c of clients) c.close();
  return { rss: (after.rss - before.rss) / n, heap: (after.heapUsed - before.heapUsed) / n };
}

/** Syscalls the process `pid` makes while `work` runs (strace -c -f), or NaN if strace failed. */
export async function countSyscalls(pid: number, work: () => Promise<void>): Promise<number> {
  const strace = spawn('strace', ['-c', '-f', '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  strace.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => strace.once('exit', () => resolve()));
  // Attaching to every thread takes a moment; work before that would go uncounted.
  await sleep(500);
  await work();
  strace.kill('SIGINT');
  await exited;
  const total = stderr.split('\n').find((line) => /\stotal\s*$/.test(line));
  const calls = total?.trim().split(/\s+/)[3];
  return calls === undefined ? NaN : Number(calls);
}
