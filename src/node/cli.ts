/**
 * `sse2ws` command: parse flags and env, start the bridge (and the demo backend when no upstream
 * is configured), stop cleanly on SIGINT/SIGTERM.
 */
import { helpText, OptionError, parseOptions } from '../core/options.ts';
import { startDemoBackend } from './demo-backend.ts';
import { createNodeLogger } from './logger.ts';
import { type NodeBridgeServer, startNodeServer } from './server.ts';

/** Run the CLI; resolves once the bridge listens. Exits the process on bad options. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv, env);
  } catch (error) {
    if (error instanceof OptionError) {
      process.stderr.write(`sse2ws: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (parsed.help) {
    process.stdout.write(helpText());
    return;
  }
  const { options } = parsed;
  const logger = createNodeLogger(options.logLevel);
  const demo = options.upstreamUrl === undefined ? await startDemoBackend() : undefined;
  const upstreamUrl = options.upstreamUrl ?? (demo?.url as string);
  if (demo) {
    logger.info(
      { upstream: upstreamUrl },
      'no upstream configured (--upstream / SSE2WS_UPSTREAM_URL): started the embedded demo SSE backend',
    );
  }
  let bridge: NodeBridgeServer;
  try {
    bridge = await startNodeServer(options, { upstreamUrl, logger });
  } catch (error) {
    await demo?.close();
    if ((error as NodeJS.ErrnoException).syscall !== 'listen') throw error;
    // An operator error (port taken, no permission, bad address), not a crash: one line, like a
    // bad option, instead of an unhandled-rejection stack trace.
    const reason = (error as Error).message.replace(/\s+/g, ' ');
    process.stderr.write(`sse2ws: --host/--port: cannot listen: ${reason}\n`);
    process.exit(1);
  }
  logger.info(
    {
      url: bridge.url,
      socketio: `${bridge.url}/socket.io/`,
      ws: `${bridge.url.replace(/^http/, 'ws')}/ws`,
      upstream: upstreamUrl,
    },
    'sse2ws listening',
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void Promise.all([bridge.close(), demo?.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

await main(process.argv.slice(2), process.env);
