/**
 * Issue 19's targets, each with the value this run measured and whether it was met. Ratios are
 * taken within a block (both arms ran back to back in it), then the median over blocks.
 */
import type { Arm } from './clients.ts';
import type { LatencyRow, Results } from './report.ts';
import { fmtSpread, spreadOf, type Spread } from './stats.ts';

/** One target of the issue and what the run measured for it. */
export interface TargetRow {
  target: string;
  /** The load it was measured at in this run. */
  load: string;
  measured: Spread;
  /** Digits and unit the measured value prints with. */
  digits: number;
  unit: string;
  /** The measured value must not be above this. */
  limit: number;
  /** Why it was not measured, when it was not. */
  skipped?: string;
}

/** Per block, `pick(numerator arm) / pick(denominator arm)` over the latency rows. */
export function pacedRatios(
  rows: LatencyRow[],
  numerator: Arm,
  denominator: Arm,
  pick: (row: LatencyRow) => number = (row) => row.relayCpuUsPerFrame,
): Spread {
  const ratios: number[] = [];
  for (const block of new Set(rows.map((r) => r.block))) {
    const n = rows.find((r) => r.block === block && r.arm === numerator);
    const d = rows.find((r) => r.block === block && r.arm === denominator);
    if (n && d) ratios.push(pick(n) / pick(d));
  }
  return spreadOf(ratios);
}

/** Bridge plus redis-server CPU per frame of BR, per frame of B's. */
export const redisRatio = (rows: LatencyRow[]): Spread =>
  pacedRatios(rows, 'BR', 'B', (row) =>
    row.arm === 'BR' ? row.relayCpuUsPerFrame + row.redisCpuUsPerFrame : row.relayCpuUsPerFrame,
  );

const one = (value: number): Spread => ({ median: value, min: value, max: value });

/** Every target of issue 19 with this run's value. */
export function targetRows(r: Results): TargetRow[] {
  const paced = `${r.latency[0]?.streams ?? '?'} streams x 50 frames/s, 64 B`;
  const saturation = (arm: Arm) =>
    spreadOf(r.saturation.filter((s) => s.size === 64 && s.arm === arm).map((s) => s.cpuVsNaive));
  const rampRows = r.ramp.filter((ramp) => ramp.steps.length > 1);
  const ramp = rampRows[0];
  const idle = r.rss;
  const rows: TargetRow[] = [
    {
      target: 'paced CPU per frame, B / A1',
      load: paced,
      measured: pacedRatios(r.latency, 'B', 'A1'),
      digits: 2,
      unit: ' x',
      limit: 0.8,
    },
    {
      target: "paced CPU per frame, B' / A2",
      load: paced,
      measured: pacedRatios(r.latency, "B'", 'A2'),
      digits: 2,
      unit: ' x',
      limit: 0.8,
    },
    {
      target: 'saturation CPU per frame, B / A1',
      load: '4 streams, 64 B, as fast as possible',
      measured: saturation('B'),
      digits: 2,
      unit: ' x',
      limit: 0.4,
    },
    {
      target: "saturation CPU per frame, B' / A2",
      load: '4 streams, 64 B, as fast as possible',
      measured: saturation("B'"),
      digits: 2,
      unit: ' x',
      limit: 0.5,
    },
    {
      target: 'RSS per idle /ws connection, sse2ws / bare ws',
      load: `${idle?.connections ?? '?'} idle connections, ${idle?.rounds ?? '?'} round(s)`,
      measured: one(idle?.ws.ratio ?? NaN),
      digits: 2,
      unit: ' x',
      limit: 1.2,
    },
    {
      target: 'RSS per idle Socket.IO connection, sse2ws / bare socket.io',
      load: `${idle?.connections ?? '?'} idle connections, ${idle?.rounds ?? '?'} round(s)`,
      measured: one(idle?.socketIo.ratio ?? NaN),
      digits: 2,
      unit: ' x',
      limit: 1.2,
    },
    {
      target: 'RSS per streaming session (ramp slope), B',
      load: ramp
        ? `${ramp.steps.map((s) => s.sessions).join(', ')} sessions x ${ramp.rate} frames/s`
        : '—',
      measured: one((ramp?.rssPerSession ?? NaN) / 1024),
      digits: 1,
      unit: ' KiB',
      limit: 30,
    },
    {
      target: '(bridge + redis-server) CPU per frame, BR / B',
      load: paced,
      measured: redisRatio(r.latency),
      digits: 2,
      unit: ' x',
      limit: 2,
      ...(r.redis.startsWith('skipped') ? { skipped: r.redis } : {}),
    },
  ];
  return rows;
}

/** The targets as a Markdown table: target, load, measured (median, min–max), limit, status. */
export function targetsTable(r: Results): string[] {
  const out = [
    '### Targets (issue 19)',
    '',
    'Ratios are per block (both arms in the same block), median over blocks (min–max).',
    '',
    '| target | load in this run | measured | target | status |',
    '| --- | --- | ---: | ---: | --- |',
  ];
  for (const t of targetRows(r)) {
    const status =
      t.skipped !== undefined || !Number.isFinite(t.measured.median)
        ? 'not measured'
        : t.measured.median <= t.limit
          ? 'met'
          : `missed: ${(t.measured.median / t.limit).toFixed(2)} x the target`;
    const measured = Number.isFinite(t.measured.median)
      ? `${fmtSpread(t.measured, t.digits)}${t.unit}`
      : '—';
    out.push(`| ${t.target} | ${t.load} | ${measured} | ≤ ${t.limit}${t.unit} | ${status} |`);
  }
  out.push('');
  return out;
}
