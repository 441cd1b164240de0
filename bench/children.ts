/** Starting the benchmark's child processes and asking them for their CPU time and RSS. */
import { fork, type ChildProcess } from 'node:child_process';
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
          resolve({ cpuUs: m.cpuUs, rss: m.rss });
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
