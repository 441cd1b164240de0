/**
 * A quick A/B loop for hot-path work: the saturation run only, for A1, A2, B and B', repeated in
 * ABBA order, printing CPU µs per frame of the relay process and the ratio to the naive relay of
 * the same protocol (A1 for `/ws`, A2 for Socket.IO). With `--cpu-prof`
 * the sse2ws child writes a V8 CPU profile to bench/out/ (open it in Chrome DevTools).
 *
 *   npm run bench:profile -- [--frames 20000] [--size 64] [--rounds 3] [--cpu-prof] [--long]
 *
 * `--long` streams one endless-looking answer per connection (100,000 frames) so the resume
 * buffer is full, as in a long answer; the default uses the benchmark's short streams.
 *
 * `--paced` measures the latency blocks' load instead of saturation: `--streams` (default 200)
 * streams at 50 frames/s for 5 s each round, printing the relay's CPU per frame, how busy it was
 * and the p50/p99 latency. Paced, each upstream chunk holds one frame, so per-chunk costs (a
 * socket write per frame, timers, promise hops) count in full. `--redis [url]` (paced only) adds
 * arm BR, sse2ws `/ws` with its registry in Redis (default redis://127.0.0.1:6379, keys under a
 * prefix of this run, removed at the end), and prints redis-server's CPU per frame and
 * (BR + redis-server) / B, the bench's Redis target.
 */
import { fileURLToPath } from 'node:url';
import { startChild, type ChildHandle } from './children.ts';
import type { Arm } from './clients.ts';
import { latencyRun, saturationRun } from './measure.ts';
import { findRedisServer } from './redis-server.ts';
import { spreadOf } from './stats.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const LONG = process.argv.includes('--long');
const PACED = process.argv.includes('--paced');
const frames = arg('frames', LONG ? 100_000 : 20_000);
const size = arg('size', 64);
const rounds = arg('rounds', 3);
const streams = arg('streams', PACED ? 200 : 4);
const profileDir = fileURLToPath(new URL('./out/', import.meta.url));
const cpuProf = process.argv.includes('--cpu-prof')
  ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${profileDir}`]
  : [];

const redisAt = process.argv.indexOf('--redis');
const redisUrl =
  redisAt === -1
    ? undefined
    : ((process.argv[redisAt + 1]?.startsWith('redis') ? process.argv[redisAt + 1] : undefined) ??
      'redis://127.0.0.1:6379');
const redis = redisUrl === undefined || !PACED ? undefined : await findRedisServer(redisUrl);
if (typeof redis === 'string') throw new Error(`--redis: ${redis}`);
const redisPrefix = `sse2ws-profile-${process.pid}:`;

const upstream = await startChild('./upstream.ts');
const env = { BENCH_UPSTREAM_URL: `${upstream.url}/chat` };
const children = new Map<Arm, ChildHandle>([
  ['A1', await startChild('./naive-ws-relay.ts', env)],
  ['A2', await startChild('./naive-sio-relay.ts', env)],
  ['B', await startChild('./bridge-child.ts', env, cpuProf)],
  ["B'", await startChild('./bridge-child.ts', env, cpuProf)],
]);
if (redis) {
  const redisEnv = { ...env, BENCH_REDIS_URL: redis.url, BENCH_REDIS_PREFIX: redisPrefix };
  children.set('BR', await startChild('./bridge-child.ts', redisEnv, cpuProf));
}
const arms: Arm[] = ['A1', 'A2', 'B', "B'", ...(redis ? (['BR'] as const) : [])];
/** The arm an arm is compared with: the naive relay of its protocol; BR with B (the target's). */
const naiveOf = (arm: Arm): Arm =>
  arm === 'A2' || arm === "B'" ? 'A2' : arm === 'BR' ? 'B' : 'A1';
if (PACED) {
  type PacedRun = { cpu: number; redisCpu: number; busy: number; p50: number; p99: number };
  const runs = new Map<Arm, PacedRun[]>();
  for (let round = 0; round <= rounds; round++) {
    for (const arm of [...arms, ...[...arms].reverse()]) {
      const child = children.get(arm) as ChildHandle;
      const p = { streams, rate: 50, seconds: round === 0 ? 1 : 5, size };
      const sidecar = arm === 'BR' ? redis : undefined;
      const run = await latencyRun(arm, child.url, p, { relay: child, sidecar });
      // Round 0 warms up JIT and pools.
      if (round === 0) continue;
      const r = {
        cpu: run.relayCpuUsPerFrame,
        redisCpu: run.sidecarCpuUsPerFrame,
        busy: run.relayBusy,
        p50: run.p50,
        p99: run.p99,
      };
      runs.set(arm, [...(runs.get(arm) ?? []), r]);
    }
  }
  const cpuOf = (arm: Arm) => spreadOf((runs.get(arm) ?? []).map((x) => x.cpu)).median;
  for (const arm of arms) {
    const r = runs.get(arm) ?? [];
    const med = (pick: (x: (typeof r)[number]) => number) => spreadOf(r.map(pick)).median;
    console.log(
      `${arm.padEnd(3)} paced ${streams} x 50/s: ${med((x) => x.cpu).toFixed(1)} µs/frame, ` +
        `${(cpuOf(arm) / cpuOf(naiveOf(arm))).toFixed(2)} x ${naiveOf(arm)}, ` +
        `${(med((x) => x.busy) * 100).toFixed(0)} % busy, p50 ${(med((x) => x.p50) / 1000).toFixed(2)} ms, ` +
        `p99 ${(med((x) => x.p99) / 1000).toFixed(1)} ms`,
    );
  }
  if (redis) {
    const redisCpu = spreadOf((runs.get('BR') ?? []).map((x) => x.redisCpu)).median;
    console.log(
      `BR  redis-server ${redisCpu.toFixed(1)} µs/frame; (BR + redis-server) / B ` +
        `${((cpuOf('BR') + redisCpu) / cpuOf('B')).toFixed(2)}`,
    );
  }
  await Promise.all([...children.values(), upstream].map((c) => c.stop()));
  if (redis) await redis.removeKeys(redisPrefix);
  process.exit(0);
}
const cpu = new Map<Arm, number[]>(arms.map((a) => [a, []]));
const fps = new Map<Arm, number[]>(arms.map((a) => [a, []]));
for (const arm of arms) {
  // Warm-up: JIT and connection pools.
  const child = children.get(arm) as ChildHandle;
  await saturationRun(arm, child.url, child, upstream, { streams: 2, frames: 2_000, size });
}
for (let round = 0; round < rounds; round++) {
  for (const arm of [...arms, ...[...arms].reverse()]) {
    const child = children.get(arm) as ChildHandle;
    const run = await saturationRun(arm, child.url, child, upstream, { streams, frames, size });
    cpu.get(arm)?.push(run.relayCpuUsPerFrame);
    fps.get(arm)?.push(run.framesPerSecond);
  }
}
const median = (arm: Arm) => spreadOf(cpu.get(arm) ?? []).median;
for (const arm of arms) {
  const c = spreadOf(cpu.get(arm) ?? []);
  const f = spreadOf(fps.get(arm) ?? []);
  console.log(
    `${arm.padEnd(3)} ${size} B: ${c.median.toFixed(2)} µs/frame (${c.min.toFixed(2)}–${c.max.toFixed(2)}), ` +
      `${(c.median / median(naiveOf(arm))).toFixed(2)} x ${naiveOf(arm)}, ${f.median.toFixed(0)} frames/s`,
  );
}
await Promise.all([...children.values(), upstream].map((c) => c.stop()));
