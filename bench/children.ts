/** Starting the benchmark's child processes and asking them for their CPU time and RSS. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ChildStats } from './child-ipc.ts';

/** A child that listens on `port` and answers stats requests. */
export interface ChildHandle {
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  stats(gc?: boolean): Promise<ChildStats>;
  stop(): Promise<void>;
}

/** How long a child may take to start listening (tsx compiles on first run). */
const START_TIMEOUT_MS = 30_000;

/** Fork `bench/<file>` through tsx with IPC; resolves once it announced its port. */
export async function startChild(
  file: string,
  env: Record<string, string> = {},
  execArgv: string[] = [],
): Promise<ChildHandle> {
  const child: ChildProcess = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start`)), START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    child.on('message', (m: { type: string; port?: number }) => {
      if (m.type !== 'ready' || m.port === undefined) return;
      clearTimeout(timer);
      resolve(m.port);
    });
  });
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid ?? -1,
    port,
    url: `http://127.0.0.1:${port}`,
    stats(gc = false) {
      const id = nextId++;
      return new Promise<ChildStats>((resolve) => {
        const onMessage = (m: ChildStats & { type: string; id: number }) => {
          if (m.type !== 'stats' || m.id !== id) return;
          child.off('message', onMessage);
          resolve({ cpuUs: m.cpuUs, rss: m.rss, heapUsed: m.heapUsed });
        };
        child.on('message', onMessage);
        child.send({ type: 'stats', id, gc });
      });
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Clock ticks per second of /proc/<pid>/stat CPU times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU time (µs) and RSS (bytes) of any process, read from /proc. */
export function procStats(pid: number): ChildStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return { cpuUs: (ticks * 1e6) / USER_HZ, rss: rssKb * 1024, heapUsed: NaN };
}

/** A free TCP port on 127.0.0.1 (for programs that cannot report the port they got). */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Start a non-Node relay (`command args…`) that listens on `BENCH_PORT`; stats come from /proc
 * (CPU at 10 ms resolution, fine for runs of seconds). Resolves once its Socket.IO endpoint
 * answers a long-polling handshake.
 */
export async function startForeignChild(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<ChildHandle> {
  const port = await freePort();
  const child = spawn(command, args, {
    env: { ...process.env, ...env, BENCH_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited`);
    const ok = await fetch(`${url}/socket.io/?EIO=4&transport=polling`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    pid: child.pid ?? -1,
    port,
    url,
    stats: async () => procStats(child.pid ?? -1),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
