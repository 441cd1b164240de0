/**
 * `sse2ws` command: parse flags and env, start the bridge (and the demo backend when no upstream
 * is configured), show where it listens, stop cleanly on SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { OptionError, type BridgeConfig } from '../core/index.ts';
import { toBanner } from './banner.ts';
import { parseOptions } from './cli/args.ts';
import { helpText } from './cli/help.ts';
import { toBridgeConfig } from './config.ts';
import { startDemoBackend } from './demo-backend.ts';
import { createNodeLogger, toResolvedLogFormat } from './logger.ts';
import { servesPlayground } from './playground.ts';
import { type NodeBridgeServer, startNodeServer } from './server.ts';

/** After the drain, time for pending log writes before the exit is forced (they take milliseconds). */
const DEFAULT_EXIT_GRACE_MS = 1_000;

/** A URL fit for an info log: credentials in its user info or query would be tokens in the logs. */
function toLoggedUrl(raw: string): string {
  const url = new URL(raw);
  if (url.username !== '') url.username = 'redacted';
  if (url.password !== '') url.password = 'redacted';
  for (const name of [...new Set(url.searchParams.keys())]) url.searchParams.set(name, 'redacted');
  return url.href;
}

/** The installed package's version, for `--version` and the banner; undefined if package.json cannot be read. */
function readVersion(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

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
  if (parsed.version) {
    process.stdout.write(`${readVersion() ?? 'unknown'}\n`);
    return;
  }
  const { options } = parsed;
  let config: BridgeConfig | undefined;
  try {
    config = toBridgeConfig(options, undefined);
  } catch (error) {
    // ConfigError is an OptionError: a bad config file fails like a bad option.
    if (error instanceof OptionError) {
      process.stderr.write(`sse2ws: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  let logger: ReturnType<typeof createNodeLogger>;
  try {
    logger = createNodeLogger(
      options.logLevel,
      toResolvedLogFormat(options.logFormat, process.stdout.isTTY === true),
    );
  } catch (error) {
    // `--log-format pretty` without the optional pino-pretty: said like a bad option.
    if (error instanceof OptionError) {
      process.stderr.write(`sse2ws: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const demo = options.upstreamUrl === undefined ? await startDemoBackend() : undefined;
  const upstreamUrl = options.upstreamUrl ?? (demo?.url as string);
  if (demo) {
    logger.info(
      { upstream: toLoggedUrl(upstreamUrl) },
      'no upstream configured (--upstream / SSE2WS_UPSTREAM_URL): started the embedded demo SSE backend',
    );
  }
  let bridge: NodeBridgeServer;
  try {
    bridge = await startNodeServer(options, {
      upstreamUrl,
      config,
      logger,
      demo: demo !== undefined,
    });
  } catch (error) {
    await demo?.close();
    // An unknown --profile or a bad custom profile surfaces here: one line, like a bad option.
    if (error instanceof OptionError) {
      process.stderr.write(`sse2ws: ${error.message}\n`);
      process.exit(2);
    }
    if ((error as NodeJS.ErrnoException).syscall !== 'listen') throw error;
    // An operator error (port taken, no permission, bad address), not a crash: one line, like a
    // bad option, instead of an unhandled-rejection stack trace.
    const reason = (error as Error).message.replace(/\s+/g, ' ');
    process.stderr.write(`sse2ws: --host/--port: cannot listen: ${reason}\n`);
    process.exit(1);
  }
  // Before anything announces the bridge: a SIGTERM once it listens is a drain, never the default
  // kill (the log line below may block on a full stdout pipe, and a signal can come meanwhile).
  let signals = 0;
  const stop = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      // A second signal: the operator does not want to wait for running streams. They still end
      // with their stop, and the drain goes on to close the sockets with 1001.
      logger.warn(
        { signal, streams: bridge.bridge.runningStreams },
        'second signal: cancelling running streams now',
      );
      bridge.bridge.cancelAll();
      return;
    }
    logger.info({ signal, drainTimeoutMs: options.drainTimeoutMs }, 'shutting down');
    void (async () => {
      // The demo backend serves the running streams: it goes after them.
      await bridge.drain();
      await demo?.close();
      logger.info({ signal }, 'shutdown complete');
      // Exit once the event loop is empty, so log lines still being written get out; a handle
      // left open by mistake cannot hold the process past the grace.
      process.exitCode = 0;
      setTimeout(() => process.exit(0), DEFAULT_EXIT_GRACE_MS).unref();
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  logger.info(
    {
      url: bridge.url,
      socketio: `${bridge.url}/socket.io/`,
      ws: `${bridge.url.replace(/^http/, 'ws')}/ws`,
      upstream: toLoggedUrl(upstreamUrl),
    },
    'sse2ws listening',
  );
  // For a person at a terminal only: stderr of a service manager or a test stays empty.
  if (process.stderr.isTTY === true && options.logLevel !== 'silent') {
    const version = readVersion();
    process.stderr.write(
      toBanner({
        url: bridge.url,
        playground: servesPlayground(options, demo !== undefined),
        upstream: toLoggedUrl(upstreamUrl),
        demo: demo !== undefined,
        ...(version === undefined ? {} : { version }),
      }),
    );
  }
}

await main(process.argv.slice(2), process.env);
