/**
 * The benchmark: the same fake SSE upstream consumed directly (A0, the floor), through naive
 * relays (A1 ws, A2 Socket.IO), Flask-SocketIO (A3, when installed) and sse2ws (B `/ws`,
 * B' Socket.IO, BR `/ws` with its registry in Redis, when Redis answers). Arms run interleaved in
 * blocks, each block in ABBA order, so drift of the host hits every arm alike. Writes
 * bench/out/results.jsonl, results.md (ending with issue 19's targets) and latency.svg.
 *
 *   npm run bench          # the full run
 *   npm run bench:quick    # under 2 minutes
 *   npm run bench -- --redis-url redis://host:6379   # BR against another Redis
 *   npm run bench -- --no-redis                      # without BR
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startChild, startForeignChild, type ChildHandle } from './children.ts';
import type { Arm } from './clients.ts';
import {
  countSyscalls,
  latencyRun,
  pooled,
  RAMP_P99_LIMIT_US,
  memoryPerIdleConnection,
  saturationRun,
  sessionsRamp,
  slope,
  timeToFirstFrame,
  type LatencyRun,
} from './measure.ts';
import { findRedisServer } from './redis-server.ts';
import { renderMarkdown, renderSvg, type Results } from './report.ts';
import { spreadOf } from './stats.ts';

const QUICK = process.argv.includes('--quick');
/** Only the sessions ramp (c), e.g. to repeat it; the report then holds just that table. */
const RAMP_ONLY = process.argv.includes('--ramp-only');
/** The Redis the BR arm uses; BR is skipped with a note when it does not answer. */
const REDIS_URL = argValue('--redis-url') ?? 'redis://127.0.0.1:6379';
const NO_REDIS = process.argv.includes('--no-redis');

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** Sizes of every part; quick keeps the same shape with fewer blocks, streams and frames. */
const CONFIG = QUICK
  ? {
      blocks: 2,
      latency: { streams: 50, rate: 50, seconds: 1.5, size: 64 },
      scale: undefined,
      saturation: { blocks: 1, streams: 4, frames: 4_000, sizes: [64, 1024] },
      ttffRounds: 1,
      warmRequests: 5,
      idleConnections: 500,
      idleRounds: 1,
      ramp: { arms: ['B'] as const, steps: [100, 500], rate: 10, seconds: 2, size: 64 },
      capacity: undefined,
      strace: { streams: 2, frames: 2_000 },
    }
  : {
      blocks: 4,
      latency: { streams: 200, rate: 50, seconds: 5, size: 64 },
      scale: { streams: 1_000, rate: 50, seconds: 5, size: 64 },
      saturation: { blocks: 3, streams: 4, frames: 10_000, sizes: [64, 1024] },
      ttffRounds: 3,
      warmRequests: 5,
      idleConnections: 2_000,
      idleRounds: 3,
      ramp: {
        arms: ['B'] as const,
        steps: [100, 250, 500, 1_000, 2_000, 4_000, 8_000],
        rate: 10,
        seconds: 4,
        size: 64,
      },
      /**
       * The same measurement at the top step only, at 1 frame/s per session: the connections and
       * memory of 8,000 sessions without the 80,000 frames/s the 10 frames/s ramp asks for.
       */
      capacity: {
        arms: ['B'] as const,
        steps: [8_000],
        rate: 1,
        seconds: 12,
        size: 64,
        // Starts over 4 s; the first 5 frames of each stream (the start-up) are not sampled.
        spreadSeconds: 4,
        warmupFrames: 5,
      },
      strace: { streams: 2, frames: 5_000 },
    };

const RELAY_FILES: Record<Exclude<Arm, 'A0' | 'A3'>, string> = {
  A1: './naive-ws-relay.ts',
  A2: './naive-sio-relay.ts',
  B: './bridge-child.ts',
  "B'": './bridge-child.ts',
  BR: './bridge-child.ts',
};
const A3_FILE = fileURLToPath(new URL('./flask-socketio-relay.py', import.meta.url));
const A3_INSTALLED = flaskSocketIoInstalled();
/** The most frames/s (all streams) A3 is put through in the latency blocks. */
const A3_LATENCY_MAX_FPS = 5_000;
const ARMS: Arm[] = ['A0', 'A1', 'A2', ...(A3_INSTALLED ? (['A3'] as const) : []), 'B', "B'"];
const RELAYS = ARMS.filter((a): a is Exclude<Arm, 'A0'> => a !== 'A0');
const REDIS = NO_REDIS ? 'skipped: --no-redis' : await findRedisServer(REDIS_URL);
/** The run's own Redis keys, apart from anything else the server holds. */
const REDIS_PREFIX = `sse2ws-bench-${process.pid}:`;

/** Start a relay arm's server: Node children through tsx, A3 with Debian's python3. */
const startRelay = (arm: Exclude<Arm, 'A0'>, env: Record<string, string>): Promise<ChildHandle> =>
  arm === 'A3'
    ? startForeignChild('/usr/bin/python3', [A3_FILE], env)
    : startChild(
        RELAY_FILES[arm],
        arm === 'BR' && typeof REDIS !== 'string'
          ? { ...env, BENCH_REDIS_URL: REDIS.url, BENCH_REDIS_PREFIX: REDIS_PREFIX }
          : env,
      );

const outDir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const jsonl = `${outDir}results.jsonl`;
writeFileSync(jsonl, '');
const record = (kind: string, data: Record<string, unknown>) =>
  appendFileSync(jsonl, `${JSON.stringify({ kind, quick: QUICK, ...data })}\n`);
const log = (line: string) => console.error(line);

/** ABBA over many arms: forwards then backwards, so each arm runs twice per block. */
const abba = <T>(arms: T[]): T[] => [...arms, ...[...arms].reverse()];

function flaskSocketIoInstalled(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import flask_socketio, eventlet, requests'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

function straceInstalled(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** (c) The sessions ramp of each ramp arm, on a fresh sse2ws child each. */
async function rampPart(
  results: Results,
  env: Record<string, string>,
  upstream: ChildHandle,
): Promise<void> {
  for (const ramp of CONFIG.capacity ? [CONFIG.ramp, CONFIG.capacity] : [CONFIG.ramp]) {
    for (const arm of ramp.arms) {
      const fresh = await startChild('./bridge-child.ts', env);
      const steps = await sessionsRamp(arm, fresh, upstream, ramp, log);
      await fresh.stop();
      const passed = steps.filter((s) => s.lost === 0 && s.p99 <= RAMP_P99_LIMIT_US);
      const row = {
        arm,
        rate: ramp.rate,
        steps,
        maxSessions: passed.at(-1)?.sessions ?? 0,
        rssPerSession: slope(steps.map((s) => [s.sessions, s.rss])),
      };
      record('ramp', row);
      results.ramp.push(row);
    }
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const upstream = await startChild('./upstream.ts');
  const env = { BENCH_UPSTREAM_URL: `${upstream.url}/chat` };
  const relays = new Map<Arm, ChildHandle>();
  if (!RAMP_ONLY) for (const arm of RELAYS) relays.set(arm, await startRelay(arm, env));
  const redis = typeof REDIS === 'string' || RAMP_ONLY ? undefined : REDIS;
  if (redis) relays.set('BR', await startRelay('BR', env));
  const urlOf = (arm: Arm) => (arm === 'A0' ? upstream.url : (relays.get(arm)?.url ?? ''));
  const results: Results = {
    quick: QUICK,
    config: CONFIG,
    a3: A3_INSTALLED
      ? 'measured (Flask-SocketIO on eventlet, Debian python3)'
      : 'skipped: /usr/bin/python3 lacks flask_socketio, eventlet or requests (apt install python3-flask-socketio python3-eventlet python3-requests)',
    redis: redis
      ? `measured: ${redis.url}, redis-server pid ${redis.pid} (its CPU over each run, including anything else it served meanwhile), keys under ${REDIS_PREFIX}`
      : typeof REDIS === 'string'
        ? REDIS
        : 'skipped: --ramp-only',
    latency: [],
    scale: [],
    saturation: [],
    ttff: [],
    syscalls: [],
    rss: undefined,
    ramp: [],
  };
  if (RAMP_ONLY) {
    await rampPart(results, env, upstream);
    await upstream.stop();
    return report(results, started);
  }

  log('warm-up');
  for (const arm of ARMS) {
    await latencyRun(arm, urlOf(arm), { ...CONFIG.latency, seconds: 1 });
    await saturationRun(arm, urlOf(arm), relays.get(arm), upstream, {
      streams: 2,
      frames: 2_000,
      size: 1024,
    });
  }
  if (redis) await latencyRun('BR', urlOf('BR'), { ...CONFIG.latency, seconds: 1 });

  const latencyBlocks = async (
    p: typeof CONFIG.latency,
    arms: Arm[],
    blocks: number,
    kind: 'latency' | 'scale',
  ) => {
    for (let block = 0; block < blocks; block++) {
      const runs = new Map<Arm, LatencyRun[]>();
      for (const arm of abba(arms)) {
        const run = await latencyRun(arm, urlOf(arm), p, {
          relay: relays.get(arm),
          upstream,
          sidecar: arm === 'BR' ? redis : undefined,
        });
        log(
          `${kind} block ${block} ${arm}: p50 ${run.p50.toFixed(0)} µs p99 ${run.p99.toFixed(0)} µs, relay ${run.relayCpuUsPerFrame.toFixed(1)} µs/frame, ${(run.relayBusy * 100).toFixed(0)} % busy${arm === 'BR' ? `, redis-server ${run.sidecarCpuUsPerFrame.toFixed(1)} µs/frame` : ''}`,
        );
        record(`${kind}-run`, { block, arm, streams: p.streams, ...run, samples: undefined });
        runs.set(arm, [...(runs.get(arm) ?? []), run]);
      }
      const [a0first, a0second] = runs.get('A0') ?? [];
      const floor = pooled(runs.get('A0') ?? []);
      for (const arm of arms) {
        const armRuns = runs.get(arm) ?? [];
        const q = pooled(armRuns);
        const row = {
          block,
          arm,
          streams: p.streams,
          ...q,
          addedP50: q.p50 - floor.p50,
          addedP90: q.p90 - floor.p90,
          addedP99: q.p99 - floor.p99,
          lost: armRuns.reduce((n, r) => n + r.expected - r.frames, 0),
          noiseP50: a0first && a0second ? Math.abs(a0first.p50 - a0second.p50) : NaN,
          noiseP99: a0first && a0second ? Math.abs(a0first.p99 - a0second.p99) : NaN,
          relayCpuUsPerFrame: spreadOf(armRuns.map((r) => r.relayCpuUsPerFrame)).median,
          relayBusy: spreadOf(armRuns.map((r) => r.relayBusy)).median,
          redisCpuUsPerFrame: spreadOf(armRuns.map((r) => r.sidecarCpuUsPerFrame)).median,
        };
        record(kind, row);
        results[kind].push(row);
      }
    }
  };
  // A3 tops out near 10,000 frames/s on this kind of host: above half of that its backlog keeps
  // the Python process busy after each run and would slow the arms that follow it in the block.
  const latencyArms: Arm[] = [
    ...ARMS.filter(
      (arm) => arm !== 'A3' || CONFIG.latency.streams * CONFIG.latency.rate <= A3_LATENCY_MAX_FPS,
    ),
    ...(redis ? (['BR'] as const) : []),
  ];
  if (A3_INSTALLED && !latencyArms.includes('A3')) {
    results.a3 += `; left out of the latency blocks (${CONFIG.latency.streams * CONFIG.latency.rate} frames/s is above the ${A3_LATENCY_MAX_FPS} it is run at, see bench/README.md)`;
  }
  await latencyBlocks(CONFIG.latency, latencyArms, CONFIG.blocks, 'latency');
  if (CONFIG.scale) await latencyBlocks(CONFIG.scale, ['A0', 'B', "B'"], 1, 'scale');

  for (const size of CONFIG.saturation.sizes) {
    for (let block = 0; block < CONFIG.saturation.blocks; block++) {
      const runs = new Map<Arm, { fps: number[]; cpu: number[] }>();
      for (const arm of abba(ARMS)) {
        const run = await saturationRun(arm, urlOf(arm), relays.get(arm), upstream, {
          ...CONFIG.saturation,
          size,
        });
        log(
          `saturation ${size} B block ${block} ${arm}: ${run.framesPerSecond.toFixed(0)} frames/s, ${run.relayCpuUsPerFrame.toFixed(2)} µs/frame`,
        );
        record('saturation-run', { block, arm, size, ...run });
        const r = runs.get(arm) ?? { fps: [], cpu: [] };
        r.fps.push(run.framesPerSecond);
        r.cpu.push(run.relayCpuUsPerFrame);
        runs.set(arm, r);
      }
      for (const [arm, r] of runs) {
        const fps = spreadOf(r.fps).median;
        const cpu = spreadOf(r.cpu).median;
        const a1 = runs.get('A1');
        // The naive relay of the same protocol: A2 for the Socket.IO arms, A1 for the /ws ones.
        const naive = runs.get(arm === 'A2' || arm === 'A3' || arm === "B'" ? 'A2' : 'A1');
        const row = {
          block,
          arm,
          size,
          framesPerSecond: fps,
          cpuUsPerFrame: cpu,
          cpuVsA1: a1 ? cpu / spreadOf(a1.cpu).median : NaN,
          fpsVsA1: a1 ? fps / spreadOf(a1.fps).median : NaN,
          cpuVsNaive: naive ? cpu / spreadOf(naive.cpu).median : NaN,
        };
        record('saturation', row);
        results.saturation.push(row);
      }
    }
  }

  if (straceInstalled()) {
    for (const arm of RELAYS) {
      const relay = relays.get(arm);
      if (!relay) continue;
      let frames = 0;
      const calls = await countSyscalls(relay.pid, async () => {
        frames = (
          await saturationRun(arm, urlOf(arm), relay, upstream, { ...CONFIG.strace, size: 64 })
        ).frames;
      });
      const row = { arm, frames, calls, perFrame: calls / frames };
      log(`syscalls ${arm}: ${row.perFrame.toFixed(2)} per frame`);
      record('syscalls', row);
      results.syscalls.push(row);
    }
  }
  for (const relay of relays.values()) await relay.stop();
  if (redis) log(`redis: removed ${await redis.removeKeys(REDIS_PREFIX)} keys of this run`);

  for (let round = 0; round < CONFIG.ttffRounds; round++) {
    for (const arm of RELAYS) {
      const fresh = await startRelay(arm, env);
      const cold = await timeToFirstFrame(arm, fresh.url);
      const warm: number[] = [];
      for (let i = 0; i < CONFIG.warmRequests; i++)
        warm.push(await timeToFirstFrame(arm, fresh.url));
      await fresh.stop();
      const row = { round, arm, coldMs: cold, warmMs: spreadOf(warm).median };
      log(`ttff ${arm}: cold ${cold.toFixed(1)} ms, warm ${row.warmMs.toFixed(2)} ms`);
      record('ttff', row);
      results.ttff.push(row);
    }
  }

  // RSS slopes move with where the heap happens to grow: fresh children, alternating, medians.
  // Each protocol against its own bare server: `/ws` vs ws, Socket.IO vs socket.io.
  const idleArms = [
    { key: 'bareWs', file: './bare-ws-server.ts', client: 'B' },
    { key: 'bridgeWs', file: './bridge-child.ts', client: 'B' },
    { key: 'bareSio', file: './bare-sio-server.ts', client: "B'" },
    { key: 'bridgeSio', file: './bridge-child.ts', client: "B'" },
  ] as const;
  const idle = Object.fromEntries(
    idleArms.map(({ key }) => [key, { rss: [] as number[], heap: [] as number[] }]),
  ) as Record<(typeof idleArms)[number]['key'], { rss: number[]; heap: number[] }>;
  for (let round = 0; round < CONFIG.idleRounds; round++) {
    for (const { key, file, client } of idleArms) {
      const child = await startChild(file, env);
      const m = await memoryPerIdleConnection(child, CONFIG.idleConnections, client);
      await child.stop();
      idle[key].rss.push(m.rss);
      idle[key].heap.push(m.heap);
      log(
        `idle ${key} round ${round}: rss ${m.rss.toFixed(0)} B, heap ${m.heap.toFixed(0)} B per connection`,
      );
    }
  }
  const med = (xs: number[]) => spreadOf(xs).median;
  const pair = (bare: keyof typeof idle, bridge: keyof typeof idle) => ({
    bareBytes: med(idle[bare].rss),
    bridgeBytes: med(idle[bridge].rss),
    ratio: med(idle[bridge].rss) / med(idle[bare].rss),
    bareHeap: med(idle[bare].heap),
    bridgeHeap: med(idle[bridge].heap),
    spread: { bare: spreadOf(idle[bare].rss), bridge: spreadOf(idle[bridge].rss) },
  });
  results.rss = {
    connections: CONFIG.idleConnections,
    rounds: CONFIG.idleRounds,
    ws: pair('bareWs', 'bridgeWs'),
    socketIo: pair('bareSio', 'bridgeSio'),
  };
  record('rss', results.rss);

  await rampPart(results, env, upstream);
  await upstream.stop();

  report(results, started);
}

function report(results: Results, started: number): void {
  const seconds = (Date.now() - started) / 1000;
  record('done', { seconds });
  const md = renderMarkdown(results, seconds);
  writeFileSync(`${outDir}results.md`, md);
  writeFileSync(`${outDir}latency.svg`, renderSvg(results));
  console.log(md);
}

await main();
process.exit(0);
