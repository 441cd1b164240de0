/**
 * nginx with Debian's nchan module. nchan is a pub/sub server: the recorded request is an
 * EventSource subscription, and the recorder publishes the legacy case's frames while it streams.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RecordCase, type ServerRecipe, ABRUPT_MARKER, LEGACY_CASES } from './cases.ts';
import { FIXTURE_SERVERS_DIR } from './paths.ts';
import { childPids, debVersion, freePort, spawnServer, tryRun } from './processes.ts';

const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';

/** Longer than nchan_eventsource_ping_interval, so a `ping` step sees nchan's own ping. */
const PING_WAIT_MS = 1200;

type Step = [kind: string, a?: unknown, b?: unknown];
const LEGACY_STEPS = (
  JSON.parse(readFileSync(join(FIXTURE_SERVERS_DIR, 'legacy-cases.json'), 'utf8')) as {
    cases: Record<string, Step[]>;
  }
).cases;

const channelOf = (name: string): string => name.replace(/\W/g, '_');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publish a case's steps to its channel; ends it with DELETE unless the case hangs. */
async function publish(port: number, name: string): Promise<string[]> {
  const path = `/pub/${channelOf(name)}`;
  const url = `http://127.0.0.1:${port}${path}`;
  const notes: string[] = [];
  for (const [kind, a, b] of LEGACY_STEPS[name] ?? []) {
    if (kind === 'frame' || kind === 'named') {
      const body =
        kind === 'frame' ? JSON.stringify(a) : typeof b === 'string' ? b : JSON.stringify(b);
      const headers: Record<string, string> =
        kind === 'named' ? { 'X-EventSource-Event': String(a) } : {};
      await (await fetch(url, { method: 'POST', headers, body })).arrayBuffer();
      notes.push(
        `POST ${path}${kind === 'named' ? ` (X-EventSource-Event: ${String(a)})` : ''} ${body}`,
      );
    } else if (kind === 'ping') {
      await sleep(PING_WAIT_MS);
      notes.push(`(waited ${PING_WAIT_MS} ms for nchan's ping)`);
    } else if (kind === 'sleep') {
      await sleep(Number(a) * 1000);
    } else if (kind === 'hang') {
      return notes;
    }
    // `comment` steps have no nchan equivalent: a publisher cannot send a comment.
  }
  await (await fetch(url, { method: 'DELETE' })).arrayBuffer();
  notes.push(`DELETE ${path}`);
  return notes;
}

const nchanCase = (c: RecordCase): RecordCase => ({
  ...c,
  request: {
    method: 'GET',
    path: `/sub/${channelOf(c.name)}`,
    headers: { Accept: 'text/event-stream' },
  },
  whileStreaming: (server) => publish(server.port, c.name),
});

const CASE_NOTES: Record<string, string> = {
  'legacy-answer':
    'the plain legacy answer published as three messages; DELETE of the channel ends the stream (`:410: 410 Gone` comment, then close)',
  keepalive:
    "nchan's own keep-alive, `event: ping` with no data line, before the legacy frames (published frames; a publisher cannot send comments)",
  abrupt:
    'the nginx worker is killed after two published text frames: the connection drops, no stop',
};

/** nginx + nchan. */
export const nchan: ServerRecipe = {
  id: 'nchan',
  async prepare() {
    if (tryRun('nginx', ['-v']) === undefined)
      return 'nginx is not installed: apt-get install nginx-light libnginx-mod-nchan';
    if (!existsSync(NCHAN_MODULE))
      return `${NCHAN_MODULE} is missing: apt-get install libnginx-mod-nchan`;
    return null;
  },
  version: () => {
    const nginx =
      debVersion('nginx-light') ?? debVersion('nginx-core') ?? debVersion('nginx') ?? '?';
    return `nchan (Debian libnginx-mod-nchan ${debVersion('libnginx-mod-nchan') ?? '?'}) on nginx (Debian ${nginx}), scripts/fixture-servers/nchan.conf`;
  },
  async start() {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sse2ws-nchan-'));
    const conf = readFileSync(join(FIXTURE_SERVERS_DIR, 'nchan.conf'), 'utf8')
      .replaceAll('__PORT__', String(port))
      .replaceAll('__DIR__', dir);
    writeFileSync(join(dir, 'nginx.conf'), conf);
    const server = await spawnServer('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], {
      port,
      label: 'nginx',
    });
    return {
      port,
      kill() {
        const workers = server.child.pid === undefined ? [] : childPids(server.child.pid);
        for (const pid of workers) process.kill(pid, 'SIGKILL');
        return `the nginx worker process (pid ${workers.join(', ')}) was killed with SIGKILL`;
      },
      async stop() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  cases: LEGACY_CASES.filter((c) => c.name !== 'http-error').map((c) =>
    nchanCase({
      ...c,
      demonstrates: CASE_NOTES[c.name] ?? c.demonstrates,
      ...(c.name === 'abrupt' ? { killAfter: ABRUPT_MARKER } : {}),
    }),
  ),
};
