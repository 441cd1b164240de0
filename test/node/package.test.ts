/**
 * What `npm publish` would ship: `npm pack` the repository (prepack included), install the tarball
 * into an empty project as a user would, and run its `sse2ws` bin there, away from the repository's
 * own node_modules.
 */
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/bridge.ts';
import { cliEnv, type Exit, REPO_ROOT } from '../helpers/cli-process.ts';

const run = promisify(execFile);

// npm pack + npm install (from the cache when it can) + a cold tsx start: generous, no timing.
const PACKAGE_TIMEOUT_MS = 120_000;

/** `npm ...args` in `cwd`; on failure the error carries npm's output. */
async function npm(args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('npm', [...args], {
      cwd,
      env: cliEnv({ npm_config_update_notifier: 'false' }),
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: error,
    });
  }
}

/** The file paths an `exports` field points at, however deeply its conditions nest. */
function toExportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.values(exports).flatMap(toExportTargets);
}

/** Start the installed bin on port 0 and resolve with its URL from the JSON `sse2ws listening` line. */
async function startInstalledBin(project: string): Promise<{ url: string; stop(): Promise<Exit> }> {
  const child = spawn(join(project, 'node_modules', '.bin', 'sse2ws'), ['--port', '0'], {
    cwd: project,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const stop = async (): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  };
  onCleanup(async () => {
    await stop();
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const log = JSON.parse(line) as { msg?: string; url?: string };
        if (log.msg === 'sse2ws listening' && typeof log.url === 'string') resolve(log.url);
      }
    });
    void exited.then((exit) =>
      reject(new Error(`sse2ws exited ${JSON.stringify(exit)}; stdout: ${out}; stderr: ${err}`)),
    );
  });
  return { url, stop };
}

describe('the npm package', () => {
  it(
    'packs, installs into an empty project and runs `sse2ws` from there',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sse2ws-package-'));
      onCleanup(() => rm(dir, { recursive: true, force: true }));
      const packed = join(dir, 'packed');
      const project = join(dir, 'project');
      await mkdir(packed);
      await mkdir(project);

      await npm(['pack', '--pack-destination', packed], REPO_ROOT);
      const tarballs = (await readdir(packed)).filter((f) => f.endsWith('.tgz'));
      expect(tarballs).toHaveLength(1);

      await writeFile(
        join(project, 'package.json'),
        JSON.stringify({ name: 'sse2ws-package-test', private: true }),
      );
      await npm(
        [
          'install',
          join(packed, tarballs[0] as string),
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
        ],
        project,
      );

      // The package holds what the bin runs and the Workers entry, not the tests.
      const installed = join(project, 'node_modules', 'sse2ws');
      const top = await readdir(installed);
      expect(top).toEqual(expect.arrayContaining(['bin', 'src', 'package.json', 'README.md']));
      expect(top).toContain('wrangler.toml');
      for (const absent of ['test', 'bench', 'scripts', '.ci', 'node_modules', 'tsconfig.json']) {
        expect(top).not.toContain(absent);
      }

      // Every file `exports` names (sources, and the client bundle prepack builds) is packed.
      const pkg = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
        exports?: unknown;
      };
      for (const target of toExportTargets(pkg.exports)) {
        await expect(access(join(installed, target)), target).resolves.toBeUndefined();
      }

      const bin = await startInstalledBin(project);
      expect(bin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${bin.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
      expect(await bin.stop()).toEqual({ code: 0, signal: null });
    },
    PACKAGE_TIMEOUT_MS,
  );
});
