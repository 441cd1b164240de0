/**
 * Where an idle `/ws` connection's memory goes: heap snapshots of a server before and after
 * `--connections` idle clients, diffed by object kind and divided by the connection count, for
 * sse2ws (B) and the bare ws server the benchmark compares it with. Heap only: taking a snapshot
 * grows RSS by itself, so RSS per connection is `npm run bench`'s to measure.
 *
 *   npm run bench:memory -- [--connections 2000] [--top 25] [--socketio]
 *   npm run bench:memory -- --streaming [--connections 500] [--top 25] [--dist]
 *
 * `--streaming`: heap per streaming session on sse2ws instead (`/ws` clients, each with one stream
 * at the sessions ramp's pace), with who holds the largest kinds and every closure per session.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type ChildHandle } from './children.ts';
import { connectMany } from './clients.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
/** `--streaming`: heap per streaming session instead of per idle connection. */
const STREAMING = process.argv.includes('--streaming');
const connections = arg('connections', STREAMING ? 500 : 2_000);
/** `--socketio`: Socket.IO clients (websocket transport) against a bare socket.io server instead. */
const SOCKET_IO = process.argv.includes('--socketio');
const clientArm = SOCKET_IO ? "B'" : 'B';
const top = arg('top', 25);
/** `--dist`: sse2ws from dist/ (compiled JavaScript; `npm run build` first), not tsx-run sources. */
const DIST = process.argv.includes('--dist');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[]];
      edge_fields: string[];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
  /** Per function: its node index, script id, line and column (0-based). */
  locations?: number[];
  /** Made by {@link parseHeap}: "@file:line" of anonymous closures by node index. */
  where?: Map<number, string>;
}

/** One snapshot: bytes and counts by "type: name" (strings and code folded together). */
interface Heap {
  tally: Map<string, { count: number; bytes: number }>;
  /** Heap object ids: stable across the snapshots of one process, so new objects are known. */
  ids: Set<number>;
  file: string;
}

/**
 * Read a snapshot and name where each anonymous closure was made: run through tsx (esbuild's
 * `keepNames`), arrow functions lose their inferred names, so "closure" alone says nothing.
 */
function parseHeap(file: string): HeapSnapshot {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const width = fields.length;
  const edgeWidth = heap.snapshot.meta.edge_fields.length;
  const [edgeCountAt, nameAt] = ['edge_count', 'name'].map((f) => fields.indexOf(f) ?? 0);
  const firstEdge = new Map<number, number>();
  for (let i = 0, edge = 0; i < heap.nodes.length; i += width) {
    firstEdge.set(i, edge);
    edge += (heap.nodes[i + (edgeCountAt ?? 0)] ?? 0) * edgeWidth;
  }
  const child = (i: number, name: string): number | undefined => {
    const from = firstEdge.get(i) ?? 0;
    const count = heap.nodes[i + (edgeCountAt ?? 0)] ?? 0;
    for (let e = from; e < from + count * edgeWidth; e += edgeWidth) {
      if (heap.strings[heap.edges[e + 1] ?? 0] === name) return heap.edges[e + 2];
    }
    return undefined;
  };
  const fileOf = (closure: number): string => {
    const shared = child(closure, 'shared');
    const script =
      shared === undefined
        ? undefined
        : (child(shared, 'script_or_debug_info') ?? child(shared, 'script'));
    const url =
      script === undefined ? '?' : (heap.strings[heap.nodes[script + (nameAt ?? 0)] ?? 0] ?? '?');
    return url.replace(/^.*\/(src|bench|node_modules)\//, '$1/');
  };
  heap.where = new Map();
  const locations = heap.locations ?? [];
  for (let l = 0; l < locations.length; l += 4) {
    const i = locations[l] ?? 0;
    heap.where.set(i, `@${fileOf(i)}:${(locations[l + 2] ?? 0) + 1}`);
  }
  return heap;
}

/** The object kind of node `i` (an index into `nodes`). */
function kindOf(heap: HeapSnapshot, i: number): string {
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const type = types[heap.nodes[i + fields.indexOf('type')] ?? 0] ?? '?';
  const name = /string|code/.test(type)
    ? ''
    : (heap.strings[heap.nodes[i + fields.indexOf('name')] ?? 0] ?? '');
  if (type === 'closure' && name === '') return `closure ${heap.where?.get(i) ?? ''}`;
  return `${type}${name === '' ? '' : `: ${name.slice(0, 50)}`}`;
}

/** Tally a heap snapshot by object kind. */
function tally(file: string): Heap {
  const heap = parseHeap(file);
  const fields = heap.snapshot.meta.node_fields;
  const [idAt, sizeAt] = ['id', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map<string, { count: number; bytes: number }>();
  const ids = new Set<number>();
  for (let i = 0; i < heap.nodes.length; i += fields.length) {
    const key = kindOf(heap, i);
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += heap.nodes[i + (sizeAt ?? 0)] ?? 0;
    out.set(key, entry);
    ids.add(heap.nodes[i + (idAt ?? 0)] ?? 0);
  }
  return { tally: out, ids, file };
}

/** How many holders up a "who holds" path goes. */
const HOLDER_DEPTH = 3;

/**
 * For the objects of `kinds` in `after` that `before` did not have: who holds them, as paths of
 * "holder kind .edge" up to {@link HOLDER_DEPTH} holders, each object counted once under its first
 * strong holder. A Context's holder names the closure whose scope it is; a closure's, the object
 * or scope it sits in.
 */
function retainers(
  before: Heap,
  after: Heap,
  kinds: Set<string>,
): Map<string, Map<string, number>> {
  const heap = parseHeap(after.file);
  const fields = heap.snapshot.meta.node_fields;
  const width = fields.length;
  const [idAt, edgeCountAt] = ['id', 'edge_count'].map((f) => fields.indexOf(f));
  const edgeFields = heap.snapshot.meta.edge_fields;
  const edgeTypes = heap.snapshot.meta.edge_types[0];
  const [typeAt, nameAt, toAt] = ['type', 'name_or_index', 'to_node'].map((f) =>
    edgeFields.indexOf(f),
  );
  // The first strong holder of every node, with the edge's name.
  const holder = new Map<number, { from: number; edge: string }>();
  let edge = 0;
  for (let i = 0; i < heap.nodes.length; i += width) {
    const edges = heap.nodes[i + (edgeCountAt ?? 0)] ?? 0;
    for (let e = 0; e < edges; e++, edge += edgeFields.length) {
      const to = heap.edges[edge + (toAt ?? 0)] ?? 0;
      if (holder.has(to)) continue;
      const type = edgeTypes[heap.edges[edge + (typeAt ?? 0)] ?? 0] ?? '?';
      if (type === 'weak') continue;
      const raw = heap.edges[edge + (nameAt ?? 0)] ?? 0;
      const name =
        type === 'element' || type === 'hidden' ? '[n]' : (heap.strings[raw] ?? '?').slice(0, 40);
      holder.set(to, { from: i, edge: name });
    }
  }
  const out = new Map<string, Map<string, number>>();
  for (let i = 0; i < heap.nodes.length; i += width) {
    if (before.ids.has(heap.nodes[i + (idAt ?? 0)] ?? 0)) continue;
    const kind = kindOf(heap, i);
    if (!kinds.has(kind)) continue;
    const path: string[] = [];
    for (let at = holder.get(i), n = 0; at !== undefined && n < HOLDER_DEPTH; n++) {
      path.push(`${kindOf(heap, at.from)} .${at.edge}`);
      at = holder.get(at.from);
    }
    const label = path.join(' < ');
    const byLabel = out.get(kind) ?? new Map<string, number>();
    byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
    out.set(kind, byLabel);
  }
  return out;
}

/** Take a heap snapshot of `child` (started with --heapsnapshot-signal) into `dir`. */
async function snapshot(child: ChildHandle, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  await child.stats(true);
  process.kill(child.pid, 'SIGUSR2');
  for (;;) {
    await sleep(250);
    const added = readdirSync(dir).filter((f) => !before.has(f));
    // Written in one go once complete: wait until the size stops changing.
    if (added.length === 1 && added[0] !== undefined) {
      const path = join(dir, added[0]);
      const size = readFileSync(path).length;
      await sleep(500);
      if (readFileSync(path).length === size && size > 0) return path;
    }
  }
}

/** The per-unit difference of two tallies, largest first. */
function diff(a: Heap, b: Heap, per: number) {
  return [...b.tally]
    .map(([key, after]) => {
      const was = a.tally.get(key) ?? { count: 0, bytes: 0 };
      return {
        key,
        count: (after.count - was.count) / per,
        bytes: (after.bytes - was.bytes) / per,
      };
    })
    .sort((x, y) => y.bytes - x.bytes);
}

function printRows(rows: ReturnType<typeof diff>): void {
  for (const r of rows.slice(0, top)) {
    if (r.bytes < 1) break;
    console.log(
      `${r.bytes.toFixed(0).padStart(7)} B ${r.count.toFixed(2).padStart(6)} x  ${r.key}`,
    );
  }
}

async function startHeapChild(file: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'sse2ws-heap-'));
  const child = await startChild(file, env, [
    '--heapsnapshot-signal=SIGUSR2',
    `--diagnostic-dir=${dir}`,
  ]);
  return { child, dir };
}

async function measure(label: string, file: string, env: Record<string, string>): Promise<void> {
  const { child, dir } = await startHeapChild(file, env);
  // One round of connections first, so lazily made shared state is in both snapshots.
  for (const c of await connectMany(clientArm, child.url, 50)) c.close();
  await sleep(500);
  const a = tally(await snapshot(child, dir));
  const clients = await connectMany(clientArm, child.url, connections);
  await sleep(500);
  const b = tally(await snapshot(child, dir));
  for (const c of clients) c.close();
  await child.stop();
  rmSync(dir, { recursive: true, force: true });

  const rows = diff(a, b, connections);
  const heap = rows.reduce((n, r) => n + r.bytes, 0);
  console.log(
    `\n${label}: heap ${heap.toFixed(0)} B per idle connection (${connections} connections)`,
  );
  printRows(rows);
}

/** The sessions ramp's load: 10 frames/s of 64 B per stream. */
const STREAM = { rate: 10, size: 64 };
/** How far into the streams the second snapshot is taken (the ramp reads RSS half-way, ~2 s in). */
const STREAMING_SNAPSHOT_MS = 3_000;
/** Long enough to still run at the second snapshot, however long the first one took. */
const STREAM_FRAMES = 200;
/** Longer than the bridge's upstream keep-alive (4 s): the warm-up's pooled sockets are gone. */
const KEEP_ALIVE_SETTLE_MS = 5_000;

/**
 * `--streaming`: heap per streaming session on sse2ws. `connections` `/ws` clients are connected
 * in both snapshots; between them each starts one stream at the sessions ramp's pace, so the
 * difference is what a running stream costs (upstream connection, relay, stream, resume buffer
 * of ~30 frames, subscription).
 */
async function measureStreaming(env: Record<string, string>): Promise<void> {
  const { child, dir } = await startHeapChild('./bridge-child.ts', env);
  // A round of short streams first, so lazily made shared state is in both snapshots; their
  // resume buffers stay retained (60 s) through both, their pooled upstream sockets do not.
  const warm = await connectMany(clientArm, child.url, 50);
  await Promise.all(warm.map((c) => c.stream({ ...STREAM, count: 5 }, () => {})));
  for (const c of warm) c.close();
  await sleep(KEEP_ALIVE_SETTLE_MS);
  const clients = await connectMany(clientArm, child.url, connections);
  await sleep(500);
  const a = tally(await snapshot(child, dir));
  let frames = 0;
  const gapMs = 1000 / STREAM.rate / connections;
  const streams = clients.map(async (client, i) => {
    await sleep(i * gapMs);
    await client.stream({ ...STREAM, count: STREAM_FRAMES }, () => frames++);
  });
  await sleep(STREAMING_SNAPSHOT_MS);
  const framesAt = frames;
  const b = tally(await snapshot(child, dir));
  for (const c of clients) c.close();
  void Promise.allSettled(streams);
  await child.stop();

  const rows = diff(a, b, connections);
  const heap = rows.reduce((n, r) => n + r.bytes, 0);
  console.log(
    `\nB sse2ws /ws streaming: heap ${heap.toFixed(0)} B per streaming session (${connections} sessions, ${(framesAt / connections).toFixed(1)} frames each at the snapshot)`,
  );
  printRows(rows);
  const kinds = rows.slice(0, RETAINED_KINDS).filter((r) => r.bytes >= 1);
  const held = retainers(a, b, new Set(kinds.map((r) => r.key)));
  console.log(`\nwho holds the new objects of the top ${kinds.length} kinds (per session):`);
  for (const { key } of kinds) {
    const byLabel = [...(held.get(key) ?? [])].sort((x, y) => y[1] - x[1]).slice(0, 3);
    console.log(`  ${key}`);
    for (const [label, count] of byLabel) {
      console.log(`    ${(count / connections).toFixed(2).padStart(6)} x  ${label}`);
    }
  }
  const closures = rows.filter((r) => r.key.startsWith('closure') && r.count >= 0.5);
  console.log(`\nclosures per session: ${closures.reduce((n, r) => n + r.count, 0).toFixed(1)}`);
  for (const r of closures) console.log(`  ${r.count.toFixed(2).padStart(6)} x  ${r.key}`);
  if (process.env['KEEP_HEAP'] === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`snapshots kept in ${dir}`);
}

/** How many of the top kinds get their holders printed. */
const RETAINED_KINDS = 15;

const upstream = await startChild('./upstream.ts');
const env = {
  BENCH_UPSTREAM_URL: `${upstream.url}/chat`,
  ...(DIST ? { BENCH_BRIDGE_DIST: '1' } : {}),
};
if (STREAMING) {
  await measureStreaming(env);
} else if (SOCKET_IO) {
  await measure('bare socket.io server', './bare-sio-server.ts', {});
  await measure("B' sse2ws Socket.IO", './bridge-child.ts', env);
} else {
  await measure('bare ws server', './bare-ws-server.ts', {});
  await measure('B sse2ws /ws', './bridge-child.ts', env);
}
await upstream.stop();
process.exit(0);
