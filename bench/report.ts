/** The Markdown table and the hand-written SVG bar chart of a benchmark run. */
import { availableParallelism } from 'node:os';
import type { Arm } from './clients.ts';
import type { SessionsStep } from './measure.ts';
import { fmtSpread, type Spread, spreadOf } from './stats.ts';
import { pacedRatios, redisRatio, targetsTable } from './targets.ts';

/** One arm in one latency block (µs; `added*` is minus A0 of the same block). */
export interface LatencyRow {
  block: number;
  arm: Arm;
  streams: number;
  p50: number;
  p90: number;
  p99: number;
  addedP50: number;
  addedP90: number;
  addedP99: number;
  lost: number;
  noiseP50: number;
  noiseP99: number;
  /** The relay's CPU per frame at this pace, µs, and its busy share of one core. */
  relayCpuUsPerFrame: number;
  relayBusy: number;
  /** BR only: redis-server's CPU per frame over the same runs, µs (NaN for the other arms). */
  redisCpuUsPerFrame: number;
}

/** RSS and heap per idle connection of one protocol: sse2ws against its bare server. */
export interface IdleMemory {
  bareBytes: number;
  bridgeBytes: number;
  ratio: number;
  bareHeap: number;
  bridgeHeap: number;
  spread: { bare: Spread; bridge: Spread };
}

/** Everything a run measured. */
export interface Results {
  quick: boolean;
  config: unknown;
  a3: string;
  /** Whether the Redis arm (BR) ran, and against what; or why not. */
  redis: string;
  latency: LatencyRow[];
  scale: LatencyRow[];
  saturation: Array<{
    block: number;
    arm: Arm;
    size: number;
    framesPerSecond: number;
    cpuUsPerFrame: number;
    cpuVsA1: number;
    fpsVsA1: number;
    /** CPU per frame over the naive relay of the same protocol (A1 for /ws, A2 for Socket.IO). */
    cpuVsNaive: number;
  }>;
  ttff: Array<{ round: number; arm: Arm; coldMs: number; warmMs: number }>;
  syscalls: Array<{ arm: Arm; frames: number; calls: number; perFrame: number }>;
  rss:
    | {
        connections: number;
        rounds: number;
        /** `/ws` against a bare ws server. */
        ws: IdleMemory;
        /** socket.io-client (websocket transport) against a bare socket.io server. */
        socketIo: IdleMemory;
      }
    | undefined;
  ramp: Array<{
    arm: Arm;
    /** Frames per second of each session. */
    rate: number;
    steps: SessionsStep[];
    maxSessions: number;
    rssPerSession: number;
  }>;
}

const ARMS: Arm[] = ['A0', 'A1', 'A2', 'A3', 'B', "B'", 'BR'];
const LABELS: Record<Arm, string> = {
  A0: 'A0 direct SSE (floor)',
  A1: 'A1 naive ws relay',
  A2: 'A2 naive Socket.IO relay',
  A3: 'A3 Flask-SocketIO (eventlet)',
  B: 'B sse2ws /ws',
  "B'": "B' sse2ws Socket.IO",
  BR: 'BR sse2ws /ws + Redis',
};

function col<T>(rows: T[], pick: (r: T) => number, digits = 0): string {
  return fmtSpread(spreadOf(rows.map(pick)), digits);
}

function latencyTable(rows: LatencyRow[], title: string): string[] {
  if (rows.length === 0) return [];
  const blocks = new Set(rows.map((r) => r.block)).size;
  const out = [
    `### ${title}: ${rows[0]?.streams} streams x 50 frames/s, 64 B frames, ${blocks} block(s)`,
    '',
    'µs; median over blocks (min–max). "+" columns: minus A0 of the same block.',
    '',
    'The last two columns are the relay process: CPU per frame at this pace (each upstream chunk',
    'holds one frame here, so per-chunk costs count in full) and its CPU time over the wall time.',
    '',
    '| arm | p50 | p90 | p99 | +p50 | +p90 | +p99 | frames lost | relay CPU µs/frame | relay busy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const arm of ARMS) {
    const r = rows.filter((x) => x.arm === arm);
    if (r.length === 0) continue;
    const lost = r.reduce((n, x) => n + x.lost, 0);
    out.push(
      `| ${LABELS[arm]} | ${col(r, (x) => x.p50)} | ${col(r, (x) => x.p90)} | ${col(r, (x) => x.p99)} | ${arm === 'A0' ? '—' : col(r, (x) => x.addedP50)} | ${arm === 'A0' ? '—' : col(r, (x) => x.addedP90)} | ${arm === 'A0' ? '—' : col(r, (x) => x.addedP99)} | ${lost} | ${arm === 'A0' ? '—' : col(r, (x) => x.relayCpuUsPerFrame, 1)} | ${arm === 'A0' ? '—' : `${col(r, (x) => x.relayBusy * 100)} %`} |`,
    );
  }
  const a0 = rows.filter((x) => x.arm === 'A0');
  out.push(
    `| noise floor (A0 vs A0, \\|Δ\\|) | ${col(a0, (x) => x.noiseP50)} | | ${col(a0, (x) => x.noiseP99)} | | | | | | |`,
    '',
  );
  out.push(
    `Relay CPU per frame against the naive relay of the same protocol, per block: B / A1 ${fmtSpread(pacedRatios(rows, 'B', 'A1'), 2)}, B' / A2 ${fmtSpread(pacedRatios(rows, "B'", 'A2'), 2)}.`,
    '',
  );
  const br = rows.filter((x) => x.arm === 'BR');
  if (br.length > 0) {
    out.push(
      `BR (sse2ws /ws with its registry in Redis): bridge ${col(br, (x) => x.relayCpuUsPerFrame, 1)} µs/frame + redis-server ${col(br, (x) => x.redisCpuUsPerFrame, 1)} µs/frame (from /proc, 10 ms ticks; a shared server's other work counts too); (bridge + redis-server) / B ${fmtSpread(redisRatio(rows), 2)}.`,
      '',
    );
  }
  return out;
}

/** The report as Markdown. */
export function renderMarkdown(r: Results, seconds: number): string {
  const out = [`## sse2ws benchmark (${r.quick ? 'quick' : 'full'}, ${seconds.toFixed(0)} s)`, ''];
  out.push(`A3 Flask-SocketIO: ${r.a3}.`, '');
  out.push(`BR Redis: ${r.redis}.`, '');
  out.push(...latencyTable(r.latency, 'Added latency'));
  out.push(...latencyTable(r.scale, 'Added latency at scale'));

  out.push('### Saturation (as fast as possible, 4 streams)', '');
  out.push('Median over blocks (min–max); CPU is the relay process only (user + system).', '');
  out.push(
    '"CPU vs naive": over the naive relay of the same protocol (A1 for /ws, A2 for Socket.IO).',
    '',
  );
  out.push('| arm | frame | frames/s | CPU µs/frame | CPU vs A1 | CPU vs naive | frames/s vs A1 |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const size of [...new Set(r.saturation.map((x) => x.size))]) {
    for (const arm of ARMS) {
      const s = r.saturation.filter((x) => x.arm === arm && x.size === size);
      if (s.length === 0) continue;
      out.push(
        `| ${LABELS[arm]} | ${size} B | ${col(s, (x) => x.framesPerSecond)} | ${arm === 'A0' ? '—' : col(s, (x) => x.cpuUsPerFrame, 1)} | ${arm === 'A0' ? '—' : col(s, (x) => x.cpuVsA1, 2)} | ${arm === 'A0' ? '—' : col(s, (x) => x.cpuVsNaive, 2)} | ${col(s, (x) => x.fpsVsA1, 2)} |`,
      );
    }
  }
  out.push('');

  out.push('### Time to first frame (new connection + request + first frame, ms)', '');
  out.push('| arm | cold (first request after start) | warm (median of the next 5) |');
  out.push('| --- | ---: | ---: |');
  for (const arm of ARMS) {
    const t = r.ttff.filter((x) => x.arm === arm);
    if (t.length > 0)
      out.push(
        `| ${LABELS[arm]} | ${col(t, (x) => x.coldMs, 1)} | ${col(t, (x) => x.warmMs, 2)} |`,
      );
  }
  out.push('');

  if (r.syscalls.length > 0) {
    out.push('### Syscalls per frame (strace -c -f, 64 B frames at saturation)', '');
    out.push('| arm | frames | syscalls | per frame |', '| --- | ---: | ---: | ---: |');
    for (const s of r.syscalls)
      out.push(`| ${LABELS[s.arm]} | ${s.frames} | ${s.calls} | ${s.perFrame.toFixed(2)} |`);
    out.push('');
  } else out.push('Syscalls: skipped (strace not installed).', '');

  if (r.rss) {
    const { rss } = r;
    out.push(`### Memory per idle connection (slope over ${rss.connections} connections)`, '');
    out.push(
      `Median of ${rss.rounds} round(s), each on fresh processes (min–max); heap is V8's heap in use`,
      'after a full GC, RSS the whole process (heap, native buffers, allocator slack). Socket.IO',
      'clients are socket.io-client over the websocket transport only.',
      '',
    );
    out.push('| server | RSS bytes | heap bytes |', '| --- | ---: | ---: |');
    const rows = [
      ['bare ws server', 'sse2ws /ws', rss.ws],
      ['bare socket.io server', 'sse2ws Socket.IO', rss.socketIo],
    ] as const;
    for (const [bare, bridge, m] of rows) {
      out.push(`| ${bare} | ${fmtSpread(m.spread.bare, 0)} | ${m.bareHeap.toFixed(0)} |`);
      out.push(
        `| ${bridge} | ${fmtSpread(m.spread.bridge, 0)} (${m.ratio.toFixed(2)} x bare) | ${m.bridgeHeap.toFixed(0)} (${(m.bridgeHeap / m.bareHeap).toFixed(2)} x bare) |`,
      );
    }
    out.push('');
  }
  if (r.ramp.length > 0) {
    out.push('### (c) Concurrent streaming sessions (64 B frames)', '');
    out.push(
      'Each step: that many connections, one stream each; the ramp stops at the first step that',
      'loses a frame or has p99 over 250 ms. RSS is the bridge process half-way through a step.',
      '"busy": CPU time over wall time of each process (100 % = one core; the host has',
      `${availableParallelism()}): when their sum nears the core count, every frame waits its turn.`,
      '',
    );
    out.push(
      '| arm | sessions | frames/s each | p50 ms | p99 ms | frames lost | bridge RSS MB | bridge busy | upstream busy | clients busy |',
    );
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : '—');
    for (const ramp of r.ramp)
      for (const s of ramp.steps)
        out.push(
          `| ${LABELS[ramp.arm]} | ${s.sessions} | ${ramp.rate} | ${(s.p50 / 1000).toFixed(1)} | ${(s.p99 / 1000).toFixed(1)} | ${s.lost} | ${(s.rss / 1e6).toFixed(0)} | ${pct(s.bridgeBusy)} | ${pct(s.upstreamBusy)} | ${pct(s.clientsBusy)} |`,
        );
    out.push('');
    for (const ramp of r.ramp)
      out.push(
        `- ${LABELS[ramp.arm]} at ${ramp.rate} frames/s each: most sessions within the limits ${ramp.maxSessions}${ramp.steps.length > 1 ? `; RSS per session (slope) ${(ramp.rssPerSession / 1024).toFixed(1)} KiB (target ≤ 30 KiB)` : ''}.`,
      );
    out.push('');
  }
  if (r.latency.length > 0 || r.ramp.length > 0) out.push(...targetsTable(r));
  return out.join('\n');
}

/** Two bar panels (added p50, added p99 over A0, median over blocks), one bar per relay arm. */
export function renderSvg(r: Results): string {
  const arms = ARMS.filter((a) => a !== 'A0' && (a !== 'BR' || r.latency.some((x) => x.arm === a)));
  const panels = [
    { title: 'added p50 over A0 (µs)', pick: (x: LatencyRow) => x.addedP50 },
    { title: 'added p99 over A0 (µs)', pick: (x: LatencyRow) => x.addedP99 },
  ];
  const W = 60 + arms.length * 75;
  const H = 240;
  const parts: string[] = [];
  panels.forEach((panel, i) => {
    const values = arms.map(
      (a) => spreadOf(r.latency.filter((x) => x.arm === a).map(panel.pick)).median,
    );
    const max = Math.max(1, ...values.filter(Number.isFinite).map(Math.abs));
    const x0 = i * W;
    parts.push(`<text x="${x0 + 20}" y="20" font-size="13">${panel.title}</text>`);
    values.forEach((v, j) => {
      const h = Number.isFinite(v) ? (Math.max(0, v) / max) * (H - 80) : 0;
      const x = x0 + 30 + j * 75;
      parts.push(
        `<rect x="${x}" y="${H - 40 - h}" width="50" height="${h}" fill="${arms[j]?.startsWith('B') ? '#2a6' : '#999'}"/>`,
      );
      parts.push(
        `<text x="${x + 25}" y="${H - 45 - h}" font-size="11" text-anchor="middle">${Number.isFinite(v) ? v.toFixed(0) : '—'}</text>`,
      );
      parts.push(
        `<text x="${x + 25}" y="${H - 22}" font-size="12" text-anchor="middle">${arms[j]}</text>`,
      );
    });
    parts.push(
      `<line x1="${x0 + 20}" y1="${H - 40}" x2="${x0 + W - 20}" y2="${H - 40}" stroke="#000"/>`,
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * 2}" height="${H}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
