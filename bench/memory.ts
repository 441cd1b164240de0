/**
 * Where an idle `/ws` connection's memory goes: heap snapshots of a server before and after
 * `--connections` idle clients, diffed by object kind and divided by the connection count, for
 * sse2ws (B) and the bare ws server the benchmark compares it with. Heap only: taking a snapshot
 * grows RSS by itself, so RSS per connection is `npm run bench`'s to measure.
 *
 *   npm run bench:memory -- [--connections 2000] [--top 25] [--socketio]
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
const connections = arg('connections', 2_000);
/** `--socketio`: Socket.IO clients (websocket transport) against a bare socket.io server instead. */
const SOCKET_IO = process.argv.includes('--socketio');
const clientArm = SOCKET_IO ? "B'" : 'B';
const top = arg('top', 25);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Bytes and counts of a heap snapshot by "type:name" (strings and code folded together). */
function tally(file: string): Map<string, { count: number; bytes: number }> {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < heap.nodes.length; i += fields.length) {
    const type = types[heap.nodes[i + (typeAt ?? 0)] ?? 0] ?? '?';
    const name = /string|code/.test(type)
      ? ''
      : (heap.strings[heap.nodes[i + (nameAt ?? 0)] ?? 0] ?? '');
    const key = `${type}${name === '' ? '' : `: ${name.slice(0, 50)}`}`;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += heap.nodes[i + (sizeAt ?? 0)] ?? 0;
    out.set(key, entry);
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

async function measure(label: string, file: string, env: Record<string, string>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sse2ws-heap-'));
  const child = await startChild(file, env, [
    '--heapsnapshot-signal=SIGUSR2',
    `--diagnostic-dir=${dir}`,
  ]);
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

  const rows = [...b].map(([key, after]) => {
    const was = a.get(key) ?? { count: 0, bytes: 0 };
    return {
      key,
      count: (after.count - was.count) / connections,
      bytes: (after.bytes - was.bytes) / connections,
    };
  });
  const heap = rows.reduce((n, r) => n + r.bytes, 0);
  console.log(
    `\n${label}: heap ${heap.toFixed(0)} B per idle connection (${connections} connections)`,
  );
  for (const r of rows.sort((x, y) => y.bytes - x.bytes).slice(0, top)) {
    if (r.bytes < 1) break;
    console.log(
      `${r.bytes.toFixed(0).padStart(7)} B ${r.count.toFixed(2).padStart(6)} x  ${r.key}`,
    );
  }
}

const upstream = await startChild('./upstream.ts');
const env = { BENCH_UPSTREAM_URL: `${upstream.url}/chat` };
if (SOCKET_IO) {
  await measure('bare socket.io server', './bare-sio-server.ts', {});
  await measure("B' sse2ws Socket.IO", './bridge-child.ts', env);
} else {
  await measure('bare ws server', './bare-ws-server.ts', {});
  await measure('B sse2ws /ws', './bridge-child.ts', env);
}
await upstream.stop();
process.exit(0);
