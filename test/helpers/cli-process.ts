/**
 * Run the real `sse2ws` command (`node bin/sse2ws.js`) as a child process, with its JSON log lines
 * on stdout to await on, and stop it (SIGTERM, then wait for exit) after the test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './bridge.ts';
import { Inbox } from './clients.ts';

/** The repository root: the CLI runs from here, as `npm start` does. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One pino JSON line from stdout (a non-JSON line is kept as `{ raw }`). */
export type LogLine = Record<string, unknown>;

/** A running CLI process. */
export interface CliProcess {
  child: ChildProcess;
  /** Every stdout line parsed as JSON (pino), in order; non-JSON lines are kept as `{ raw }`. */
  logs: Inbox<LogLine>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
  /** The first log line whose `msg` is `msg` (or contains it, for a RegExp). */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<LogLine>;
  /** The bridge URL from the "sse2ws listening" line. */
  listeningUrl(timeoutMs?: number): Promise<string>;
  /** SIGTERM (once) and wait for the exit. */
  stop(): Promise<Exit>;
}

/** `process.env` without any sse2ws setting (nor `PORT`), plus `extra`. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('SSE2WS_') || name === 'PORT') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** Spawn `node bin/sse2ws.js ...args`; stopped after the test. */
export function spawnCli(
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): CliProcess {
  const child = spawn(process.execPath, ['bin/sse2ws.js', ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let partial = '';
  const logs = new Inbox<LogLine>();
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    out += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
  });
  // 'close', not 'exit': it fires once stdout and stderr are drained too.
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let stopping: Promise<Exit> | undefined;
  const stop = (): Promise<Exit> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    })();
    return stopping;
  };
  onCleanup(async () => {
    await stop();
  });
  const waitForLog = (msg: string | RegExp, timeoutMs = 15_000) => {
    const match = (l: LogLine): boolean =>
      typeof l.msg === 'string' && (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg));
    return Promise.race([
      logs.waitFor(match, timeoutMs, `log line ${String(msg)}`),
      exited.then((exit) => {
        const found = logs.items.find(match);
        if (found) return found;
        throw new Error(
          `sse2ws exited (${JSON.stringify(exit)}) before logging ${String(msg)}; stdout: ${out}; stderr: ${err}`,
        );
      }),
    ]);
  };
  return {
    child,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog,
    async listeningUrl(timeoutMs) {
      const line = await waitForLog('sse2ws listening', timeoutMs);
      return String(line.url);
    },
    stop,
  };
}

/** Run the CLI to completion (it must exit by itself) and collect its output. */
export async function runCli(
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const cli = spawnCli(args, extraEnv);
  const exit = await cli.exited;
  return { ...exit, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** A TCP port that was free a moment ago (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
