/**
 * What `npm publish` would ship, used as a consumer uses it: `npm pack` the repository (prepare
 * builds dist/), install the tarball into an empty project (no sse2ws sources, no tsx), then run
 * plain-Node ESM and CommonJS consumers (a real chat round trip each), type-check a TypeScript
 * consumer under three module settings, run the `sse2ws` bin (also as a hardened container would:
 * unwritable TMPDIR, read-only working tree) and lint the package (publint, attw).
 *
 * One pack and one install serve every test of the file (the npm cache is warm).
 */
import { execFile, spawn } from 'node:child_process';
import {
  access,
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/bridge.ts';
import { cliEnv, type Exit, REPO_ROOT } from '../helpers/cli-process.ts';

const run = promisify(execFile);

// npm pack (with the build) + npm install from the cache: generous, no timing.
const SETUP_TIMEOUT_MS = 240_000;
// One consumer script or one tsc run.
const STEP_TIMEOUT_MS = 60_000;

/** The consumer scripts and the TypeScript consumer file, copied into the project. */
const CONSUMER_DIR = join(REPO_ROOT, 'test', 'consumer');

/** Run `file ...args` in `cwd`; on failure the error carries the output. */
async function exec(
  file: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = cliEnv({ npm_config_update_notifier: 'false' }),
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, [...args], { cwd, env, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${file} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`,
      {
        cause: error,
      },
    );
  }
}

const npm = (args: readonly string[], cwd: string) => exec('npm', args, cwd);

/** The file paths an `exports` field points at, however deeply its conditions nest. */
function toExportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.values(exports).flatMap(toExportTargets);
}

/** Make `path` readable and enterable by every user (mkdtemp makes 0700 directories). */
const openForReading = (path: string) => chmod(path, 0o755);

interface BinOptions {
  env?: Record<string, string>;
  /** Run as this uid/gid (root drops to `nobody`, for whom the project is read-only). */
  user?: { uid: number; gid: number };
}

/** Start the installed bin on port 0 and resolve with its URL from the JSON `sse2ws listening` line. */
async function startInstalledBin(
  project: string,
  options: BinOptions = {},
): Promise<{ url: string; stop(): Promise<Exit> }> {
  const child = spawn(join(project, 'node_modules', '.bin', 'sse2ws'), ['--port', '0'], {
    cwd: project,
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options.user,
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

describe('the npm package, installed from its tarball', () => {
  let dir: string;
  let tarball: string;
  let project: string;
  let installed: string;
  let version: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sse2ws-package-'));
    const packed = join(dir, 'packed');
    project = join(dir, 'project');
    await mkdir(packed);
    await mkdir(project);

    await npm(['pack', '--pack-destination', packed], REPO_ROOT);
    const tarballs = (await readdir(packed)).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    tarball = join(packed, tarballs[0] as string);

    const repo = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
      devDependencies: Record<string, string>;
    };
    version = repo.version;
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'sse2ws-consumer', private: true, type: 'module' }),
    );
    // Beside the package: the client SDK's optional peer (Socket.IO) and what TypeScript Node and
    // Workers consumers have, at the versions the repository tests with.
    const extras = [
      'socket.io-client',
      'typescript',
      '@types/node',
      '@cloudflare/workers-types',
    ].map((name) => `${name}@${repo.devDependencies[name]}`);
    await npm(
      ['install', tarball, ...extras, '--prefer-offline', '--no-audit', '--no-fund'],
      project,
    );
    for (const file of await readdir(CONSUMER_DIR)) {
      await copyFile(join(CONSUMER_DIR, file), join(project, file));
    }
    installed = join(project, 'node_modules', 'sse2ws');
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships the built entry points and the Workers sources, not the tests nor a transpiler', async () => {
    const top = await readdir(installed);
    expect(top).toEqual(
      expect.arrayContaining(['bin', 'dist', 'src', 'package.json', 'README.md', 'wrangler.toml']),
    );
    // (A nested node_modules may be npm's doing: socket.io-client wants an older ws.)
    for (const absent of ['test', 'bench', 'scripts', '.ci', 'tsconfig.json']) {
      expect(top).not.toContain(absent);
    }
    // Every file `exports` names is packed; each subpath has types first, then import and the
    // default that require() (Node >= 20.19 loads ESM) and other tools take.
    const pkg = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      dependencies: Record<string, string>;
    };
    for (const target of toExportTargets(pkg.exports)) {
      await expect(access(join(installed, target)), target).resolves.toBeUndefined();
      // Compiled JavaScript and declarations only: plain Node cannot import a .ts source.
      expect(target, target).toMatch(/\.(js|d\.ts|json)$/);
    }
    for (const subpath of ['.', './client', './workers']) {
      expect(Object.keys(pkg.exports[subpath] as object), subpath).toEqual([
        'types',
        'import',
        'default',
      ]);
    }
    await expect(access(join(installed, 'dist/node/index.d.ts.map'))).resolves.toBeUndefined();
    await expect(access(join(installed, 'dist/node/index.js.map'))).resolves.toBeUndefined();
    // No build, test or lint tool is a runtime dependency, so none is installed.
    for (const tool of ['tsx', 'esbuild', 'pino-pretty', 'vitest']) {
      expect(pkg.dependencies).not.toHaveProperty(tool);
      await expect(access(join(project, 'node_modules', tool)), tool).rejects.toThrow();
    }
  });

  it(
    'runs an ESM consumer with plain node: createBridge on an http.Server, one chat round trip',
    async () => {
      const { stdout } = await exec(process.execPath, ['chat.mjs'], project);
      expect(JSON.parse(stdout)).toEqual({ text: 'Hello' });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "runs a CommonJS consumer: require('sse2ws') and require('sse2ws/client'), the same round trip",
    async () => {
      const { stdout } = await exec(process.execPath, ['chat.cjs'], project);
      expect(JSON.parse(stdout)).toEqual({
        text: 'Hi',
        refused: 'rateLimit: must not be negative (got "-5")',
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'loads sse2ws/client without its optional socket.io-client; protocol "socketio" then says what to install',
    async () => {
      const script = [
        "import { connect } from 'sse2ws/client';",
        "const client = connect('http://127.0.0.1:9', { protocol: 'socketio', reconnect: false });",
        "client.on('error', (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));",
      ].join('\n');
      await writeFile(join(project, 'no-socket-io.mjs'), script);
      const peer = join(project, 'node_modules', 'socket.io-client');
      const aside = join(dir, 'socket.io-client-aside');
      await rename(peer, aside);
      try {
        const { stdout } = await exec(process.execPath, ['no-socket-io.mjs'], project);
        expect(JSON.parse(stdout)).toEqual({
          code: 'connect_failed',
          message:
            'protocol "socketio" needs the socket.io-client package: npm install socket.io-client',
        });
      } finally {
        await rename(aside, peer);
      }
    },
    STEP_TIMEOUT_MS,
  );

  it.each([
    ['node16', 'node16'],
    ['nodenext', 'nodenext'],
    ['bundler', 'esnext'],
  ])(
    'type-checks a TypeScript consumer with moduleResolution %s, strict, without skipLibCheck',
    async (moduleResolution, module) => {
      const config = `tsconfig.${moduleResolution}.json`;
      await writeFile(
        join(project, config),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            target: 'es2022',
            module,
            moduleResolution,
            types: ['node'],
          },
          files: ['consumer.ts'],
        }),
      );
      const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
      const { stdout } = await exec(process.execPath, [tsc, '-p', config, '--listFiles'], project);
      // It did check the package's declarations (and found no error, or exec would throw).
      expect(stdout).toContain('node_modules/sse2ws/dist/node/index.d.ts');
      expect(stdout).toContain('node_modules/sse2ws/dist/client/index.d.ts');
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'gives a Workers project the entry: it type-checks, wrangler bundles it, workerd serves it',
    async () => {
      await writeFile(
        join(project, 'tsconfig.worker.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            target: 'es2022',
            lib: ['ES2023'],
            module: 'esnext',
            moduleResolution: 'bundler',
            types: ['@cloudflare/workers-types'],
          },
          files: ['worker.ts'],
        }),
      );
      const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
      const { stdout } = await exec(
        process.execPath,
        [tsc, '-p', 'tsconfig.worker.json', '--listFiles'],
        project,
      );
      expect(stdout).toContain('node_modules/sse2ws/dist/workers/workers/index.d.ts');

      // wrangler (the repository's) bundles the project's worker.ts (wrangler.toml beside it).
      const outdir = join(dir, 'worker-out');
      await exec(
        process.execPath,
        [
          join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js'),
          'deploy',
          '--dry-run',
          '--outdir',
          outdir,
        ],
        project,
        { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      );
      const mf = new Miniflare({
        modules: [
          {
            type: 'ESModule',
            path: 'worker.js',
            contents: await readFile(join(outdir, 'worker.js'), 'utf8'),
          },
        ],
        compatibilityDate: '2026-04-01',
        durableObjects: { STREAMS: 'StreamObject', CONVERSATIONS: 'ConversationObject' },
        host: '127.0.0.1',
        port: 0,
      });
      onCleanup(() => mf.dispose());
      const url = await mf.ready;
      const res = await fetch(new URL('/healthz', url));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'answers `npx sse2ws --version`, `-v` and `--help`, and refuses `--log-format pretty` without pino-pretty',
    async () => {
      expect((await exec('npx', ['--no', '--', 'sse2ws', '--version'], project)).stdout).toBe(
        `${version}\n`,
      );
      expect((await exec('npx', ['--no', '--', 'sse2ws', '-v'], project)).stdout).toBe(
        `${version}\n`,
      );
      const help = (await exec('npx', ['--no', '--', 'sse2ws', '--help'], project)).stdout;
      expect(help).toMatch(/^Usage: sse2ws \[options\]/);
      expect(help).toContain('-v, --version');
      // pino-pretty is an optional peer, not installed here: asking for it says what to install.
      const pretty = await exec(
        process.execPath,
        [join(installed, 'bin', 'sse2ws.js'), '--log-format', 'pretty', '--port', '0'],
        project,
      ).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(pretty?.message).toContain(
        'sse2ws: --log-format: "pretty" needs the optional pino-pretty package (npm install pino-pretty)',
      );
      expect((pretty?.cause as { code?: number } | undefined)?.code).toBe(2);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'runs `sse2ws` from the project and serves /healthz and the playground bundle',
    async () => {
      const bin = await startInstalledBin(project);
      expect(bin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${bin.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
      // The playground's browser bundle comes from the built file: no bundler is installed.
      const bundle = await fetch(`${bin.url}/sse2ws-client.js`);
      expect(bundle.status).toBe(200);
      expect(await bundle.text()).toBe(
        await readFile(join(installed, 'dist', 'client', 'sse2ws-client.js'), 'utf8'),
      );
      expect(await bin.stop()).toEqual({ code: 0, signal: null });
    },
    STEP_TIMEOUT_MS,
  );

  // The hardened container: a read-only root filesystem. tsx used to die before its first log
  // line here (EACCES: mkdir '<TMPDIR>/tsx-1000').
  it(
    'starts with an unwritable TMPDIR and a read-only working tree, and serves /healthz',
    async () => {
      const readOnlyTmp = join(dir, 'read-only-tmp');
      await mkdir(readOnlyTmp);
      let user: BinOptions['user'];
      if (process.getuid?.() === 0) {
        // Root writes anywhere: run as `nobody`, for whom the root-owned tree is read-only.
        user = { uid: 65_534, gid: 65_534 };
        for (const path of [dir, project, readOnlyTmp]) await openForReading(path);
      } else {
        await chmod(readOnlyTmp, 0o555);
        await exec('chmod', ['-R', 'a-w', project], dir);
        onCleanup(async () => {
          await exec('chmod', ['-R', 'u+w', project], dir);
        });
      }
      // The premise: this user can write neither place.
      const probe = `require('fs').writeFileSync(process.argv[1], 'x')`;
      for (const target of [join(readOnlyTmp, 'probe'), join(project, 'probe')]) {
        await expect(
          new Promise((resolve, reject) =>
            execFile(process.execPath, ['-e', probe, target], { ...user }, (error) =>
              error ? reject(error) : resolve(undefined),
            ),
          ),
          target,
        ).rejects.toThrow();
      }
      const bin = await startInstalledBin(project, {
        env: { TMPDIR: readOnlyTmp, TMP: readOnlyTmp, TEMP: readOnlyTmp },
        ...(user ? { user } : {}),
      });
      const res = await fetch(`${bin.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await bin.stop()).toEqual({ code: 0, signal: null });
      expect(await readdir(readOnlyTmp)).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'passes publint and attw (ESM only: require() of it works on Node >= 20.19, tested above)',
    async () => {
      const publint = await exec(
        process.execPath,
        [join(REPO_ROOT, 'node_modules/publint/src/cli.js'), 'run', tarball, '--strict'],
        project,
      );
      expect(publint.stdout).toContain('All good!');
      // attw exits non-zero on any problem its esm-only profile does not ignore.
      const attw = await exec(
        process.execPath,
        [
          join(REPO_ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js'),
          tarball,
          '--profile',
          'esm-only',
          '--format',
          'json',
        ],
        project,
      );
      const report = JSON.parse(attw.stdout) as {
        analysis: { problems: Array<{ kind: string; resolutionKind?: string }> };
      };
      // What the profile ignores: TypeScript's pre-exports `node10` resolution, and CommonJS under
      // `module: node16`, which cannot require() ESM (Node >= 20.19 and TS's nodenext can).
      for (const problem of report.analysis.problems) {
        expect(['node10', 'node16-cjs'], JSON.stringify(problem)).toContain(problem.resolutionKind);
      }
    },
    STEP_TIMEOUT_MS,
  );
});
