/** Starting, probing and killing the fixture servers' processes. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** How long a server may take to start listening (Python imports on a busy machine are slow). */
export const DEFAULT_START_TIMEOUT_MS = 20_000;

/** A server process the recorder started. */
export interface RunningServer {
  port: number;
  /** SIGKILL the process that serves connections; returns a note for the fixture header. */
  kill(): string;
  /** Stop it for good. */
  stop(): Promise<void>;
}

/** Spawn options plus how to learn the port. */
export interface SpawnServerOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** `announce`: the server prints `LISTENING <port>`; a number: it listens there, poll it. */
  port: 'announce' | number;
  /** What `kill()` reports the process as, e.g. `the uvicorn process`. */
  label: string;
}

/** Output of a command, or undefined when it fails. */
export function tryRun(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string | undefined {
  try {
    const options = { encoding: 'utf8' as const, stdio: 'pipe' as const, env: env ?? process.env };
    return execFileSync(cmd, args, options).trim();
  } catch {
    return undefined;
  }
}

/** A Debian package's installed version, or undefined. */
export const debVersion = (pkg: string): string | undefined =>
  tryRun('dpkg-query', ['-W', '-f=${Version}', pkg]) || undefined;

/** Resolves once something accepts connections on `port`. */
async function waitForPort(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

function waitForAnnounce(child: ChildProcess, deadline: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no LISTENING line: ${out}`)),
      deadline - Date.now(),
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before listening: ${out}`)));
  });
}

/** Start a server process and wait until it listens. */
export async function spawnServer(
  cmd: string,
  args: string[],
  options: SpawnServerOptions,
): Promise<RunningServer & { child: ChildProcess }> {
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const deadline = Date.now() + DEFAULT_START_TIMEOUT_MS;
  let port: number;
  try {
    if (options.port === 'announce') port = await waitForAnnounce(child, deadline);
    else await waitForPort((port = options.port), deadline);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${cmd} ${args.join(' ')}: ${(err as Error).message}\n${stderr}`, {
      cause: err,
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    port,
    kill() {
      child.kill('SIGKILL');
      return `${options.label} (pid ${child.pid}) was killed with SIGKILL`;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Process ids of `pid`'s children (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

/** A free TCP port for servers that cannot bind port 0 and report it. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
