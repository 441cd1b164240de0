/** Percentiles and the median (min–max) summaries the report prints. */

/** The q-th percentile (0-100) of `values`, nearest rank; NaN when empty. */
export function percentile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((q / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? NaN;
}

/** Ascending copy as a typed array (fast numeric sort). */
export function sortedOf(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/** Median with spread across blocks. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spreadOf(values: number[]): Spread {
  const finite = values.filter(Number.isFinite);
  const s = sortedOf(finite);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = s.length / 2;
  const median =
    s.length % 2 === 1 ? (s[Math.floor(mid)] ?? NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return { median, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

/** `12.3 (10.1–15.0)`; a single block prints just the value. */
export function fmtSpread(s: Spread, digits = 1): string {
  if (!Number.isFinite(s.median)) return '—';
  const f = (v: number) => v.toFixed(digits);
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}
