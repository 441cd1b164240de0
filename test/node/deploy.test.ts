/**
 * The Dockerfile, deploy/kubernetes.yaml and deploy/nginx.conf agree with the code: port, probe
 * paths, env var names and values, user, grace period. No container engine runs here, so the files
 * are read as text (the manifest with a small YAML-subset reader) and what can run, runs: the
 * image's HEALTHCHECK command and the manifest's probes against a real bridge, and `nginx -t`
 * when nginx is installed.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../../src/core/config/defaults.ts';
import { toResolvedOptions } from '../../src/core/config/resolve.ts';
import { OPTION_SPECS } from '../../src/core/config/spec.ts';
import type { BridgeOptions } from '../../src/core/config/types.ts';
import { SOCKET_IO_PATH } from '../../src/core/http/app.ts';
import { DEFAULT_CLOSE_WAIT_MS } from '../../src/node/drain.ts';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { REPO_ROOT } from '../helpers/cli-process.ts';
import { startFakeUpstream } from '../helpers/fake-upstream.ts';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const read = (path: string) => readFile(join(REPO_ROOT, path), 'utf8');
const OPTION_ENV_NAMES = new Set(OPTION_SPECS.flatMap((s) => s.env));

// ---- Dockerfile ---------------------------------------------------------------------------------

interface Instruction {
  name: string;
  args: string;
}

/** Instructions grouped by stage (one array per FROM), continuation lines joined. */
function parseDockerfile(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const [name = '', ...rest] = full.split(/\s+/);
    const instruction = { name: name.toUpperCase(), args: rest.join(' ') };
    if (instruction.name === 'FROM') stages.push([]);
    stages[stages.length - 1]?.push(instruction);
  }
  return stages;
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`) as a record. */
function toEnv(instructions: readonly Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { name, args } of instructions) {
    if (name !== 'ENV') continue;
    if (!args.includes('=')) {
      const [key = '', ...value] = args.split(' ');
      env[key] = value.join(' ');
      continue;
    }
    for (const pair of args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

const only = (instructions: readonly Instruction[], name: string): Instruction[] =>
  instructions.filter((i) => i.name === name);

/** A RUN's shell command without its BuildKit flags (`--mount=…`). */
const toCommand = (args: string): string => args.replace(/^(--\S+\s+)+/, '');

describe('Dockerfile', async () => {
  const stages = parseDockerfile(await read('Dockerfile'));
  const build = stages[0] ?? [];
  const runtime = stages[stages.length - 1] ?? [];
  const env = toEnv(runtime);
  const pkg = JSON.parse(await read('package.json')) as {
    bin: Record<string, string>;
    engines: { node: string };
  };

  it('builds in one node:20-bookworm-slim stage and runs in another', () => {
    expect(stages).toHaveLength(2);
    expect(build[0]?.args).toBe('node:20-bookworm-slim AS build');
    expect(runtime[0]?.args).toBe('node:20-bookworm-slim AS runtime');
    // engines ">=20.19": the node:20 tag is the latest 20.x.
    expect(pkg.engines.node).toMatch(/^>=20\./);
  });

  it('builds from the lock file, then installs production dependencies only, with no scripts', () => {
    expect(only(build, 'COPY')[0]?.args).toBe('package.json package-lock.json ./');
    const buildRuns = only(build, 'RUN').map((i) => toCommand(i.args));
    expect(buildRuns).toEqual([
      expect.stringMatching(/^npm ci --ignore-scripts\b/),
      'npm run build',
    ]);
    const runtimeRuns = only(runtime, 'RUN').map((i) => toCommand(i.args));
    expect(runtimeRuns).toEqual([expect.stringMatching(/^npm ci --omit=dev --ignore-scripts\b/)]);
    // The runtime stage holds the built output and the bin, not the sources.
    const copies = only(runtime, 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies.join(' ')).not.toMatch(/\bsrc\b|^\. /);
  });

  // No container engine here: the runtime stage's steps run in a temporary directory, dist/ from
  // `npm run build` standing in for the build stage's. Then its CMD runs as a user who can write
  // neither the app nor TMPDIR (a read-only root filesystem) and serves /healthz.
  it("runs the runtime stage's steps and its CMD from a production-only install, read-only", async () => {
    const root = await mkdtemp(join(tmpdir(), 'sse2ws-image-'));
    onCleanup(() => rm(root, { recursive: true, force: true }));
    const app = join(root, 'app');
    const readOnlyTmp = join(root, 'tmp');
    await mkdir(app);
    await mkdir(readOnlyTmp);
    for (const { name, args } of runtime) {
      if (name === 'COPY') {
        const parts = args.split(/\s+/);
        const from = parts[0]?.startsWith('--from=build') ? parts.shift() : undefined;
        const target = join(app, parts.pop() ?? '.');
        for (const source of parts) {
          const path = from ? source.replace(/^\/app\//, '') : source;
          const into = parts.length > 1 ? join(target, path) : target;
          await cp(join(REPO_ROOT, path), into, { recursive: true });
        }
      } else if (name === 'RUN') {
        await run('sh', ['-c', toCommand(args)], {
          cwd: app,
          env: { ...process.env, npm_config_update_notifier: 'false' },
        });
      }
    }
    const installed = await readdir(join(app, 'node_modules'));
    for (const devTool of ['tsx', 'esbuild', 'typescript', 'vitest', 'pino-pretty']) {
      expect(installed).not.toContain(devTool);
    }
    expect(await readdir(app)).toEqual(
      expect.arrayContaining(['bin', 'dist', 'node_modules', 'package.json']),
    );
    expect(await readdir(app)).not.toContain('src');

    let user: { uid: number; gid: number } | undefined;
    if (process.getuid?.() === 0) {
      user = { uid: 65_534, gid: 65_534 };
      for (const path of [root, app, readOnlyTmp]) await chmod(path, 0o755);
    } else {
      await chmod(readOnlyTmp, 0o555);
      await run('chmod', ['-R', 'a-w', app]);
      onCleanup(async () => {
        await run('chmod', ['-R', 'u+w', app]);
      });
    }
    const [exe = '', ...args] = JSON.parse(only(runtime, 'CMD')[0]?.args ?? '[]') as string[];
    const child = spawn(exe === 'node' ? process.execPath : exe, args, {
      cwd: app,
      // The image's env, on a free loopback port instead of 0.0.0.0:8080.
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        SSE2WS_HOST: '127.0.0.1',
        SSE2WS_PORT: '0',
        TMPDIR: readOnlyTmp,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...user,
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    onCleanup(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const match = /"url":"(http:\/\/[^"]+)","socketio"/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`exited ${code}: ${out} ${err}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await readdir(readOnlyTmp)).toEqual([]);
  }, 120_000);

  it('runs the package bin as a non-root user', () => {
    const cmd = JSON.parse(only(runtime, 'CMD')[0]?.args ?? '[]') as string[];
    expect(cmd).toEqual(['node', pkg.bin.sse2ws]);
    expect(only(runtime, 'USER').map((i) => i.args)).toEqual(['1000:1000']);
  });

  it('listens on every interface on the port it exposes, with option env vars only', () => {
    expect(env.SSE2WS_HOST).toBe('0.0.0.0');
    expect(only(runtime, 'EXPOSE').map((i) => i.args)).toEqual([String(DEFAULT_PORT)]);
    expect(env.SSE2WS_PORT).toBe(String(DEFAULT_PORT));
    for (const name of Object.keys(env).filter((n) => n.startsWith('SSE2WS_'))) {
      expect(OPTION_ENV_NAMES).toContain(name);
    }
    const options = toResolvedOptions(env);
    expect(options).toMatchObject({ host: '0.0.0.0', port: DEFAULT_PORT });
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = only(runtime, 'HEALTHCHECK')[0]?.args ?? '';
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];

    it('is an exec-form node command (the slim image has no curl)', () => {
      expect(command[0]).toBe('node');
      expect(command.join(' ')).toContain('/healthz');
      expect(command.join(' ')).not.toMatch(/curl|wget/);
    });

    it('passes against a running bridge on SSE2WS_PORT and fails when nothing listens', async () => {
      const bridge = await startBridge('http://127.0.0.1:9/chat');
      const [exe = '', ...args] = command;
      const node = exe === 'node' ? process.execPath : exe;
      // Async: the bridge runs in this process and must answer while the probe waits.
      const probe = async (port: number): Promise<number | null> => {
        try {
          await run(node, args, {
            env: { ...process.env, SSE2WS_PORT: String(port) },
            timeout: 10_000,
          });
          return 0;
        } catch (error) {
          return (error as { code?: number | null }).code ?? null;
        }
      };
      expect(await probe(bridge.port)).toBe(0);
      await bridge.close();
      expect(await probe(bridge.port)).toBe(1);
    });
  });
});

describe('.dockerignore', async () => {
  const ignored = (await read('.dockerignore'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('keeps node_modules, git data and tests out of the build context', () => {
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git', 'test', '.wrangler']));
  });

  it('keeps what the image needs in it', () => {
    const built = ['scripts', 'tsconfig.json', 'tsconfig.build.json'];
    for (const path of ['bin', 'src', 'package.json', 'package-lock.json', ...built]) {
      expect(ignored).not.toContain(path);
    }
  });
});

// ---- deploy/kubernetes.yaml ---------------------------------------------------------------------

type YamlValue = unknown;
type Obj = { [key: string]: YamlValue };

/** Every document of a YAML stream as plain values; a syntax error fails the test. */
function parseYamlDocuments(source: string): YamlValue[] {
  return parseAllDocuments(source).map((doc) => {
    if (!('errors' in doc)) throw new Error('empty YAML stream');
    if (doc.errors.length > 0) throw doc.errors[0];
    return doc.toJS({ maxAliasCount: 0 }) as YamlValue;
  });
}
const obj = (value: YamlValue | undefined): Obj => {
  expect(value).toBeTypeOf('object');
  expect(Array.isArray(value)).toBe(false);
  return value as Obj;
};
const list = (value: YamlValue | undefined): Obj[] => {
  expect(Array.isArray(value)).toBe(true);
  return value as Obj[];
};

describe('deploy/kubernetes.yaml', async () => {
  const docs = parseYamlDocuments(await read('deploy/kubernetes.yaml')).map(obj);
  const deployment = obj(docs.find((d) => d.kind === 'Deployment'));
  const service = obj(docs.find((d) => d.kind === 'Service'));
  const template = obj(obj(deployment.spec).template);
  const pod = obj(template.spec);
  const containers = list(pod.containers);
  const sidecar = obj(containers.find((c) => c.name === 'sse2ws'));
  const legacy = obj(containers.find((c) => c.name !== 'sse2ws'));
  const envList = list(sidecar.env);
  const env = Object.fromEntries(envList.map((e) => [e.name as string, e.value]));
  const ports = list(sidecar.ports);
  const httpPort = obj(ports[0]);
  const options: BridgeOptions = toResolvedOptions(env);

  it('holds one Deployment and one Service', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(['Deployment', 'Service']);
  });

  it('runs the legacy API and sse2ws in one pod, sse2ws calling the API on loopback', () => {
    expect(containers).toHaveLength(2);
    expect(env.SSE2WS_UPSTREAM_URL).toBe('http://127.0.0.1:5000/chat');
    const apiPort = list(legacy.ports).map((p) => p.containerPort);
    expect(apiPort).toContain(Number(new URL(options.upstreamUrl as string).port));
  });

  it('sets only option env vars, as strings, with values the options accept', () => {
    for (const e of envList) {
      expect(OPTION_ENV_NAMES).toContain(e.name);
      expect(e.value).toBeTypeOf('string');
    }
    expect(options).toMatchObject({ host: '0.0.0.0', playground: false, logFormat: 'json' });
  });

  it('exposes the port sse2ws listens on, the one the image exposes', () => {
    expect(httpPort.containerPort).toBe(options.port);
    expect(options.port).toBe(DEFAULT_PORT);
  });

  it('probes readiness on /readyz and liveness on /healthz, on that port', () => {
    const readiness = obj(obj(sidecar.readinessProbe).httpGet);
    const liveness = obj(obj(sidecar.livenessProbe).httpGet);
    expect(readiness).toEqual({ path: '/readyz', port: httpPort.name });
    expect(liveness).toEqual({ path: '/healthz', port: httpPort.name });
  });

  it('waits 35 s for the drain and the socket close before the kill', () => {
    expect(pod.terminationGracePeriodSeconds).toBe(35);
    const drainS = (options.drainTimeoutMs + DEFAULT_CLOSE_WAIT_MS) / 1000;
    expect(pod.terminationGracePeriodSeconds as number).toBeGreaterThan(drainS);
    // The legacy API keeps serving the running streams through the drain.
    const sleep = obj(obj(obj(legacy.lifecycle).preStop).sleep).seconds as number;
    expect(sleep).toBeGreaterThanOrEqual(options.drainTimeoutMs / 1000);
    expect(sleep).toBeLessThan(pod.terminationGracePeriodSeconds as number);
  });

  it('runs sse2ws as the image user, not root', () => {
    const security = obj(sidecar.securityContext);
    expect(security.runAsNonRoot).toBe(true);
    expect(security.runAsUser).toBe(1000);
  });

  it('runs sse2ws on a read-only root filesystem, with no writable volume', () => {
    expect(obj(sidecar.securityContext).readOnlyRootFilesystem).toBe(true);
    expect(sidecar.volumeMounts).toBeUndefined();
  });

  it('selects the pod from the Deployment and the Service, and routes to sse2ws', () => {
    const labels = obj(obj(template.metadata).labels);
    expect(obj(obj(deployment.spec).selector).matchLabels).toEqual(labels);
    expect(obj(service.spec).selector).toEqual(labels);
    const targets = list(obj(service.spec).ports).map((p) => p.targetPort);
    expect(targets).toEqual([httpPort.name]);
  });

  it('has probe paths a running bridge answers with 200', async () => {
    const upstream = await startFakeUpstream((_req, res) => {
      res.writeHead(204).end();
    });
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url);
    for (const probe of [sidecar.readinessProbe, sidecar.livenessProbe]) {
      const res = await fetch(`${bridge.url}${obj(obj(probe).httpGet).path as string}`);
      expect(res.status).toBe(200);
    }
  });
});

// ---- deploy/nginx.conf --------------------------------------------------------------------------

/** The directives of `location <match> { ... }` (no nested blocks in it). */
function locationBlock(conf: string, match: string): string[] {
  const start = conf.indexOf(`location ${match} {`);
  expect(start, `location ${match}`).toBeGreaterThan(-1);
  const body = conf.slice(conf.indexOf('{', start) + 1, conf.indexOf('}', start));
  return body
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

describe('deploy/nginx.conf', async () => {
  const conf = await read('deploy/nginx.conf');

  it('maps the Upgrade header to a Connection value', () => {
    expect(conf).toMatch(/map \$http_upgrade \$connection_upgrade \{\s*default upgrade;/);
  });

  it('proxies to the port sse2ws listens on by default', () => {
    expect(conf).toContain(`server 127.0.0.1:${DEFAULT_PORT};`);
  });

  it.each([
    ['= /ws', '/ws'],
    [SOCKET_IO_PATH, SOCKET_IO_PATH],
  ])('passes upgrades on for location %s, unbuffered, with long timeouts', (match) => {
    const block = locationBlock(conf, match);
    expect(block).toEqual(
      expect.arrayContaining([
        'proxy_http_version 1.1;',
        'proxy_set_header Upgrade $http_upgrade;',
        'proxy_set_header Connection $connection_upgrade;',
        // The port too: the default Origin check compares the Origin's host with Host.
        'proxy_set_header Host $http_host;',
        'proxy_buffering off;',
      ]),
    );
    const defaults = toResolvedOptions({});
    const longestSilenceS =
      Math.max(defaults.firstFrameTimeoutMs, defaults.idleTimeoutMs, defaults.heartbeatIntervalMs) /
      1000;
    for (const directive of ['proxy_read_timeout', 'proxy_send_timeout']) {
      const line = block.find((l) => l.startsWith(`${directive} `));
      const seconds = Number(/(\d+)s;$/.exec(line ?? '')?.[1]);
      expect(seconds, directive).toBeGreaterThan(longestSilenceS);
    }
  });

  // Skipped where nginx is not installed, except where SSE2WS_REQUIRE_NGINX says it must be (CI).
  const hasNginx = spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasNginx && process.env.SSE2WS_REQUIRE_NGINX !== '1')('passes nginx -t', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sse2ws-nginx-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const main = join(dir, 'nginx.conf');
    await writeFile(
      main,
      [
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')};`,
        'events {}',
        `http { access_log off; include ${join(REPO_ROOT, 'deploy', 'nginx.conf')}; }`,
      ].join('\n'),
    );
    await expect(run('nginx', ['-t', '-q', '-c', main])).resolves.toBeDefined();
  });
});
