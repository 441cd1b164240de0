/**
 * Runs streams in this process: the upstream relay, numbering, registry writes, and the resume
 * grace timer of every stream nobody receives. Used by the Node sidecar and by the Workers stream
 * Durable Object.
 */
import type { BridgeHooks } from './hooks.ts';
import type { Logger } from '../internal/logger.ts';
import { toBridgeError } from '../internal/errors.ts';
import { type Frame, toStopFrame } from '../protocol/frame.ts';
import { type BridgeObserver, silentObserver } from '../internal/observer.ts';
import type { BridgeOptions } from '../config/types.ts';
import type { Registry } from '../registry/registry.ts';
import type { BridgeConfig } from '../upstream/request-config.ts';
import type { StreamHost } from './stream-host.ts';
import { Stream } from './stream.ts';
import { clientRequestIdOf } from '../registry/stream-ownership.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import { relayUpstream } from '../upstream/relay.ts';
import { applyFrameHook, toHookErrorLogger } from './frame-hook.ts';
import { createRunningStreams } from './running-streams.ts';
import { createStreamOutcome } from './stream-outcome.ts';
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

/** Create a host that runs streams in this process. */
export function createLocalStreamHost(deps: LocalStreamHostDeps): LocalStreamHost {
  const { options, upstream, upstreamUrl, registry, logger } = deps;
  const observer = deps.observer ?? silentObserver;
  const { config, hooks } = deps;
  const running = createRunningStreams({ registry, logger, options });
  const relays = new Set<Promise<void>>();
  const logStoreError = (requestId: string) => (error: unknown) =>
    logger.error({ requestId, err: String(error) }, 'registry write failed');

  const host: LocalStreamHost = {
    async startStream(info, body, headers) {
      // What the application, the upstream and the logs see: the client's id, not the registry key.
      const requestId = clientRequestIdOf(info);
      const startedAt = performance.now();
      const outcome = createStreamOutcome({ requestId, info, startedAt, logger, observer, hooks });
      const logFailure = logStoreError(requestId);
      // One handler per stream: no closure per frame on the hot path.
      const onStoreError = (error: unknown): void => {
        logFailure(error);
        // A shared store that lost a frame leaves every later frame unreadable to resumes and
        // other instances: end the stream with the reason rather than run on with a gap.
        if (stream.state === 'running') {
          emit({ type: 'error', content: toBridgeError(error).toPayload() });
          stream.cancel('error');
        }
      };
      const stream = new Stream(info, (frame) => {
        if (frame.type === 'stop') outcome.stopped(frame);
        registry.appendFrame(info, frame)?.catch(onStoreError);
      });
      running.track(stream);
      observer.streamStarted();
      stream.onDone(() => outcome.finished(stream.seq));
      logger.debug({ requestId }, 'stream started');
      let first = true;
      const emit = (upstreamFrame: Frame): void => {
        const frame = applyFrameHook(hooks, logger, upstreamFrame, info);
        if (frame === undefined) return;
        if (first) {
          first = false;
          // Failures are counted by code; the histogram is the latency of real answers.
          if (frame.type !== 'error') observer.firstFrame(performance.now() - startedAt);
        }
        if (frame.type === 'error') outcome.failed(frame);
        stream.push(frame);
      };
      // The stream is claimed already: a request that cannot go out ends it with the reason
      // instead of it never starting.
      const fail = (error: unknown): void => {
        emit({ type: 'error', content: toBridgeError(error).toPayload() });
        emit(toStopFrame('error'));
      };
      let shaped: StreamRequest;
      try {
        shaped = toStreamRequest(config, upstreamUrl, body, headers, requestId);
      } catch (error) {
        fail(error);
        return;
      }
      const onUpstreamRequest = hooks?.onUpstreamRequest;
      if (onUpstreamRequest) {
        try {
          shaped = await applyUpstreamRequestHook(onUpstreamRequest, shaped, requestId, info);
        } catch (error) {
          toHookErrorLogger(logger, 'onUpstreamRequest', requestId)(error);
          fail(error);
          return;
        }
      }
      const { request } = shaped;
      const relay = relayUpstream({
        client: upstream,
        url: request.url,
        method: request.method,
        body: request.body,
        headers: shaped.headers,
        timeouts: options,
        signal: stream.signal,
        whenFlowing: () => stream.whenFlowing(),
        format: options.upstreamFormat,
        report: outcome.report,
        emit,
      }).finally(() => relays.delete(relay));
      relays.add(relay);
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
      while (relays.size > 0) await Promise.allSettled([...relays]);
    },
    cancelAll() {
      for (const stream of running.toArray()) stream.cancel();
    },
  };
  return host;
}
