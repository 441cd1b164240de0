/**
 * Runs streams in this process: the upstream relay, numbering, registry writes, and the resume
 * grace timer of every stream nobody receives. Used by the Node sidecar and by the Workers stream
 * Durable Object.
 */
import type { BridgeHooks } from './hooks.ts';
import type { Logger } from '../internal/logger.ts';
import { type BridgeObserver, silentObserver } from '../internal/observer.ts';
import type { BridgeOptions } from '../config/types.ts';
import type { Registry } from '../registry/registry.ts';
import type { BridgeConfig } from '../upstream/request-config.ts';
import type { StreamHost } from './stream-host.ts';
import type { Stream } from './stream.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import { createRelay } from '../upstream/relay.ts';
import { toHookErrorLogger } from './frame-hook.ts';
import { LocalStream, type LocalStreamContext } from './local-stream.ts';
import { createRunningStreams } from './running-streams.ts';
import {
  applyUpstreamRequestHook,
  type StreamRequest,
  toStreamRequest,
} from './upstream-request.ts';

/** What a local stream host is built from. */
export interface LocalStreamHostDeps {
  options: BridgeOptions;
  upstreamUrl: string;
  upstream: UpstreamClient;
  /** Upstream request shaping (`request`); the chat_message data is POSTed unchanged without. */
  config?: BridgeConfig | undefined;
  registry: Registry;
  logger: Logger;
  observer?: BridgeObserver;
  /** The application's `onUpstreamRequest`, `onFrame` and `onStreamEnd` run here. */
  hooks?: BridgeHooks | undefined;
}

/** A {@link StreamHost} that runs upstream requests itself. */
export interface LocalStreamHost extends StreamHost {
  /** Streams whose stop has not gone out yet. */
  readonly runningStreams: number;
  /** Resolves once every upstream request has ended. */
  idle(): Promise<void>;
  /** Cancel every running stream. */
  cancelAll(): void;
}

/** A stream's stop went out: its account is closed (one function for every stream). */
const finishOutcome = (stream: Stream): void =>
  (stream as LocalStream).outcome.finished(stream.seq);

/** Create a host that runs streams in this process. */
export function createLocalStreamHost(deps: LocalStreamHostDeps): LocalStreamHost {
  const { options, upstream, upstreamUrl, registry, logger } = deps;
  const observer = deps.observer ?? silentObserver;
  const { config, hooks } = deps;
  const running = createRunningStreams({ registry, logger, options });
  const context: LocalStreamContext = {
    options,
    client: upstream,
    registry,
    logger,
    observer,
    hooks,
  };
  /** Relays not ended yet (they outlive their stream's stop by the drain), and who waits for none. */
  let relaysRunning = 0;
  const idleWaiters: Array<() => void> = [];
  const relayEnded = (): void => {
    if (--relaysRunning === 0) for (const wake of idleWaiters.splice(0)) wake();
  };

  const host: LocalStreamHost = {
    async startStream(info, body, headers) {
      const stream = new LocalStream(info, context);
      const requestId = stream.clientRequestId;
      running.track(stream);
      observer.streamStarted();
      stream.onDone(finishOutcome);
      logger.debug({ requestId }, 'stream started');
      let shaped: StreamRequest;
      try {
        shaped = toStreamRequest(config, upstreamUrl, body, headers, requestId);
      } catch (error) {
        stream.fail(error);
        return;
      }
      const onUpstreamRequest = hooks?.onUpstreamRequest;
      if (onUpstreamRequest) {
        try {
          shaped = await applyUpstreamRequestHook(onUpstreamRequest, shaped, requestId, info);
        } catch (error) {
          toHookErrorLogger(logger, 'onUpstreamRequest', requestId)(error);
          stream.fail(error);
          return;
        }
      }
      // Cancelled while the hook ran (from another connection, a drain): its stop is out, and the
      // backend must not be asked for an answer nobody will read.
      if (stream.state !== 'running') return;
      const { request } = shaped;
      stream.url = request.url;
      stream.method = request.method;
      stream.body = request.body;
      stream.headers = shaped.headers;
      // The stream is the relay's input, and cancels it directly: no AbortSignal, no closure.
      const relay = createRelay(stream);
      stream.relay = relay;
      relaysRunning++;
      void relay.run().then(relayEnded, relayEnded);
    },
    async findRunning(requestId) {
      return running.get(requestId)?.info;
    },
    async cancelStream(requestId) {
      const stream = running.get(requestId);
      if (!stream) return false;
      stream.cancel();
      return true;
    },
    audienceChanged(requestIds, conversationIds) {
      running.audienceChanged(requestIds, conversationIds);
    },
    reportPressure(requestId, sessionId, congested) {
      running.reportPressure(requestId, sessionId, congested);
    },
    get runningStreams() {
      return running.size;
    },
    async idle() {
      while (relaysRunning > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    cancelAll() {
      for (const stream of running.toArray()) stream.cancel();
    },
  };
  return host;
}
