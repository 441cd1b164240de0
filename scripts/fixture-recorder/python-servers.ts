/**
 * Flask and Starlette/uvicorn from Debian's packages, and sse-starlette (not packaged by Debian)
 * installed with pip into the recorder's cache directory, all run with Debian's /usr/bin/python3
 * (`python3` on PATH may be another interpreter that lacks the Debian packages).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LEGACY_CASES, type ServerRecipe } from './cases.ts';
import { debVersion, spawnServer, tryRun } from './processes.ts';
import { FIXTURE_CACHE_DIR, FIXTURE_SERVERS_DIR } from './paths.ts';

/** The interpreter the Debian packages are installed for. */
export const PYTHON = process.env.FIXTURE_PYTHON ?? '/usr/bin/python3';

/** sse-starlette's pinned release; its Starlette and uvicorn are whatever pip resolves for it. */
export const SSE_STARLETTE_VERSION = '3.5.0';

const SSE_STARLETTE_DIR = join(FIXTURE_CACHE_DIR, `python-sse-starlette-${SSE_STARLETTE_VERSION}`);

function pythonVersions(modules: string[], env?: NodeJS.ProcessEnv): string | undefined {
  const code = `from importlib.metadata import version; import sys; print(${modules
    .map((m) => `'${m} ' + version('${m}')`)
    .join(" + ', ' + ")} + ', Python ' + sys.version.split()[0])`;
  return tryRun(PYTHON, ['-c', code], env);
}

const canImport = (modules: string, env?: NodeJS.ProcessEnv): boolean =>
  tryRun(PYTHON, ['-c', `import ${modules}`], env) !== undefined;

const debNote = (pkgs: string[]): string =>
  pkgs.map((p) => `${p} ${debVersion(p) ?? '?'}`).join(', ');

const start = (script: string, label: string, env?: NodeJS.ProcessEnv) => () =>
  spawnServer(PYTHON, [join(FIXTURE_SERVERS_DIR, script)], {
    port: 'announce',
    label,
    cwd: FIXTURE_SERVERS_DIR,
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...env },
  });

/** Flask 2.x on Werkzeug's threaded server. */
export const flask: ServerRecipe = {
  id: 'flask',
  async prepare() {
    return canImport('flask')
      ? null
      : `${PYTHON} cannot import flask: apt-get install python3-flask`;
  },
  version: () =>
    `${pythonVersions(['flask', 'werkzeug'])} (Debian ${debNote(['python3-flask', 'python3-werkzeug'])})`,
  start: start('flask_app.py', 'the Flask/Werkzeug server process'),
  cases: LEGACY_CASES,
};

/** Starlette's StreamingResponse on uvicorn. */
export const starlette: ServerRecipe = {
  id: 'starlette',
  async prepare() {
    return canImport('starlette, uvicorn')
      ? null
      : `${PYTHON} cannot import starlette/uvicorn: apt-get install python3-starlette python3-uvicorn`;
  },
  version: () =>
    `${pythonVersions(['starlette', 'uvicorn'])} (Debian ${debNote(['python3-starlette', 'python3-uvicorn'])})`,
  start: start('starlette_app.py', 'the uvicorn process'),
  cases: LEGACY_CASES,
};

const sseStarletteEnv = { PYTHONPATH: SSE_STARLETTE_DIR };

/** sse-starlette's EventSourceResponse (CRLF line ends, its own ping task) on uvicorn. */
export const sseStarlette: ServerRecipe = {
  id: 'sse-starlette',
  async prepare() {
    if (!existsSync(join(SSE_STARLETTE_DIR, 'sse_starlette'))) {
      const args = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check'];
      args.push(
        '--target',
        SSE_STARLETTE_DIR,
        `sse-starlette==${SSE_STARLETTE_VERSION}`,
        'uvicorn',
      );
      if (tryRun(PYTHON, args) === undefined) {
        return `pip could not install sse-starlette ${SSE_STARLETTE_VERSION} into ${SSE_STARLETTE_DIR} (Debian does not package it)`;
      }
    }
    return canImport('sse_starlette, uvicorn', { ...process.env, ...sseStarletteEnv })
      ? null
      : `sse-starlette in ${SSE_STARLETTE_DIR} does not import`;
  },
  version: () =>
    `${pythonVersions(['sse-starlette', 'starlette', 'uvicorn'], { ...process.env, ...sseStarletteEnv })} (pip, into the recorder's cache)`,
  start: start('sse_starlette_app.py', 'the uvicorn process', sseStarletteEnv),
  cases: [
    ...LEGACY_CASES.filter((c) => c.name !== 'keepalive'),
    {
      name: 'keepalive-comment',
      demonstrates:
        "sse-starlette's own keep-alive (in this release a `: ping - <time>` comment, every 0.3 s here) while the first token is slow",
    },
    {
      name: 'keepalive-event-ping',
      demonstrates:
        'the keep-alive older sse-starlette releases sent by default, `event: ping` with `data: <UTC time>` (reproduced here through ping_message_factory, the library writing the bytes), while the first token is slow',
    },
    {
      name: 'keepalive',
      demonstrates:
        'a comment and an `event: ping` with timestamp data written as ServerSentEvents by the app, between legacy frames',
    },
  ],
};
