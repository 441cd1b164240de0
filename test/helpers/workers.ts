/**
 * The worker under test: bundled once per test process by wrangler (exactly as `wrangler deploy`
 * would), then run in workerd through Miniflare with the test's options as `[vars]`, one instance
 * per bridge so every test gets its own upstream URL and Durable Objects.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import { type BridgeOptions } from '../../src/core/config/types.ts';
import { OPTION_SPECS } from '../../src/core/config/spec.ts';
import { WORKERS_UNSUPPORTED } from '../../src/workers/unsupported-options.ts';
import { onCleanup, testOptions } from './bridge.ts';

const run = promisify(execFile);
let bundle: Promise<string> | undefined;

/** Bundle src/workers with wrangler's own build (`deploy --dry-run`); the module's source. */
export function bundleWorker(): Promise<string> {
  bundle ??= (async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'sse2ws-worker-'));
    await run('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    });
    return readFile(join(outdir, 'index.js'), 'utf8');
  })();
  return bundle;
}

/**
 * Options as `[vars]`, under the same names as the Node env vars; those a Worker refuses
 * (WORKERS_UNSUPPORTED) are left out.
 */
export function toVars(options: BridgeOptions): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const spec of OPTION_SPECS) {
    if (spec.key in WORKERS_UNSUPPORTED) continue;
    const value = options[spec.key];
    const name = spec.env[0];
    if (value === undefined || name === undefined) continue;
    vars[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return vars;
}

/** A worker bridge pointed at `upstreamUrl`, disposed after the test. */
export async function startWorkerBridge(
  upstreamUrl: string,
  overrides: Partial<BridgeOptions> = {},
): Promise<{ url: string }> {
  const contents = await bundleWorker();
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'index.js', contents }],
    compatibilityDate: '2026-04-01',
    durableObjects: { STREAMS: 'StreamObject', CONVERSATIONS: 'ConversationObject' },
    bindings: toVars(testOptions({ ...overrides, upstreamUrl })),
    host: '127.0.0.1',
    port: 0,
  });
  onCleanup(() => mf.dispose());
  const url = await mf.ready;
  return { url: url.origin };
}
