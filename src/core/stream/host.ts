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
import type { BridgeOptions } from '../config/options.ts';
import type { Registry, StreamInfo } from '../registry/registry.ts';
import type { BridgeConfig } from '../upstream/request-config.ts';
import { type ShapedRequest, toUpstreamRequest } from '../upstream/request-shape.ts';
import type { StreamHost } from './stream-host.ts';
import { Stream } from './stream.ts';
import { clientRequestIdOf } from '../registry/stream-ownership.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { Detection } from '../upstream/dialects/index.ts';
import type { RelayReport } from '../upstream/dialect-chooser.ts';
import { relayUpstream } from '../upstream/relay.ts';

/** The dialect fields of a stream's log lines: which one, and why. */
const toDialectLog = (detection: Detection | undefined) =>
  detection ? { dialect: detection.dialect, dialectReason: detection.reason } : {};

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
  const logHookError = (hook: string, requestId: string) => (error: unknown) =>
    logger.error({ requestId, hook, err: String(error) }, 'hook failed');
  /** The application's `onFrame`: replace or drop a frame; a stop always stays a stop. */
  const applyFrameHook = (frame: Frame, info: StreamInfo): Frame | undefined => {
    const onFrame = hooks?.onFrame;
    if (!onFrame) return frame;
    // A plain copy, without the upstream's JSON text (UpstreamJsonFrame): a hook may change the
    // frame in place and return nothing, and the old text must not go out then.
    const plain: Frame = { type: frame.type, content: frame.content };
    let changed: Frame | null | void | undefined;
    try {
      const requestId = clientRequestIdOf(info);
      changed = onFrame(plain, { requestId, conversationId: info.conversationId });
    } catch (error) {
      logHookError('onFrame', info.requestId)(error);
      return frame;
    }
    if (changed === undefined) return plain;
    if (frame.type === 'stop') return { type: 'stop', content: changed?.content ?? frame.content };
    return changed ?? undefined;
  };
  /** Without request shaping the chat_message JSON goes out as it came, unparsed. */
  const toRequest = (body: string, requestId: string): ShapedRequest =>
    config?.request === undefined
      ? { url: upstreamUrl, method: 'POST', body }
      : toUpstreamRequest(
          config,
          upstreamUrl,
          JSON.parse(body) as Record<string, unknown>,
          requestId,
        );
  const running = new Map<string, Stream>();
  const byConversation = new Map<string, Set<string>>();
  const relays = new Set<Promise<void>>();
  /** Per stream, the sessions that stopped taking its frames because their buffers are full. */
  const pressure = new Map<string, Set<string>>();
  const recheckPressure = (requestId: string): void => {
    const stream = running.get(requestId);
    if (!stream) return;
    const congested = pressure.get(requestId)?.size ?? 0;
    if (congested === 0) {
      stream.resume();
      return;
    }
    // Pause only when nobody can take frames: one slow member never holds back the others.
    registry.audience(stream.info).then((audience) => {
      if ((pressure.get(requestId)?.size ?? 0) >= audience) stream.pause();
      else stream.resume();
    }, logStoreError(requestId));
  };
  const logStoreError = (requestId: string) => (error: unknown) =>
    logger.error({ requestId, err: String(error) }, 'registry write failed');

  const track = (stream: Stream): void => {
    const { requestId, conversationId } = stream.info;
    running.set(requestId, stream);
    if (conversationId !== undefined) {
      let ids = byConversation.get(conversationId);
      if (!ids) {
        ids = new Set();
        byConversation.set(conversationId, ids);
      }
      ids.add(requestId);
    }
    stream.onDone(() => {
      running.delete(requestId);
      if (conversationId !== undefined) {
        const ids = byConversation.get(conversationId);
        ids?.delete(requestId);
        if (ids?.size === 0) byConversation.delete(conversationId);
      }
      pressure.delete(requestId);
      registry.finishStream(requestId).catch(logStoreError(requestId));
    });
  };

  const host: LocalStreamHost = {
    async startStream(info, body, headers) {
      // What the application, the upstream and the logs see: the client's id, not the registry key.
      const requestId = clientRequestIdOf(info);
      const startedAt = performance.now();
      let errorCode: string | undefined;
      let stopReason = 'complete';
      let detected: Detection | undefined;
      const report: RelayReport = {
        detected(detection) {
          detected = detection;
          logger.debug({ requestId, ...toDialectLog(detection) }, 'upstream dialect');
        },
        unmapped(dialect, event) {
          observer.unmappedEvent(dialect);
          logger.debug({ requestId, dialect, event: event.event }, 'unmapped upstream event');
        },
        dropped(dialect, event) {
          logger.debug({ requestId, dialect, event: event.event }, 'named event without JSON data');
        },
      };
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
        if (frame.type === 'stop') {
          const reason = (frame.content as { reason?: unknown } | undefined)?.reason;
          if (typeof reason === 'string') stopReason = reason;
        }
        registry.appendFrame(info, frame)?.catch(onStoreError);
      });
      track(stream);
      observer.streamStarted();
      stream.onDone(() => {
        const durationMs = Math.round(performance.now() - startedAt);
        const outcome = errorCode ?? stopReason;
        observer.streamFinished({ requestId, durationMs, frames: stream.seq, outcome });
        logger.info(
          { requestId, durationMs, frames: stream.seq, outcome, ...toDialectLog(detected) },
          'stream finished',
        );
        const onStreamEnd = hooks?.onStreamEnd;
        if (onStreamEnd) {
          const { conversationId } = info;
          const summary = { requestId, conversationId, durationMs, frames: stream.seq, outcome };
          // Off the frame path: a slow or failing hook holds nothing back.
          Promise.resolve()
            .then(() => onStreamEnd(summary))
            .catch(logHookError('onStreamEnd', requestId));
        }
      });
      logger.debug({ requestId }, 'stream started');
      let first = true;
      const emit = (upstreamFrame: Frame): void => {
        const frame = applyFrameHook(upstreamFrame, info);
        if (frame === undefined) return;
        if (first) {
          first = false;
          // Failures are counted by code; the histogram is the latency of real answers.
          if (frame.type !== 'error') observer.firstFrame(performance.now() - startedAt);
        }
        if (frame.type === 'error') {
          const code = (frame.content as { code?: unknown }).code;
          errorCode = typeof code === 'string' ? code : 'upstream_error';
          observer.upstreamError(errorCode);
          logger.warn({ requestId, code: errorCode }, 'stream error');
        }
        stream.push(frame);
      };
      let request: ShapedRequest;
      try {
        request = toRequest(body, requestId);
      } catch (error) {
        // The stream is claimed already: it ends with the reason instead of never starting.
        emit({ type: 'error', content: toBridgeError(error).toPayload() });
        emit(toStopFrame('error'));
        return;
      }
      let upstreamHeaders: Record<string, string> = {
        ...headers,
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        accept: 'text/event-stream',
        'x-request-id': requestId,
      };
      const onUpstreamRequest = hooks?.onUpstreamRequest;
      if (onUpstreamRequest) {
        try {
          const change = await onUpstreamRequest({
            requestId,
            conversationId: info.conversationId,
            url: request.url,
            method: request.method,
            headers: upstreamHeaders,
            body: request.body,
          });
          if (change?.headers) upstreamHeaders = { ...upstreamHeaders, ...change.headers };
          if (change?.body !== undefined) request = { ...request, body: change.body };
        } catch (error) {
          // The stream is claimed already: it ends with the reason instead of never starting.
          logHookError('onUpstreamRequest', requestId)(error);
          emit({ type: 'error', content: toBridgeError(error).toPayload() });
          emit(toStopFrame('error'));
          return;
        }
      }
      const relay = relayUpstream({
        client: upstream,
        url: request.url,
        method: request.method,
        body: request.body,
        headers: upstreamHeaders,
        timeouts: options,
        signal: stream.signal,
        whenFlowing: () => stream.whenFlowing(),
        format: options.upstreamFormat,
        report,
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
      const ids = new Set(requestIds);
      for (const conversationId of conversationIds) {
        for (const id of byConversation.get(conversationId) ?? []) ids.add(id);
      }
      for (const id of ids) {
        const stream = running.get(id);
        if (!stream) continue;
        recheckPressure(id);
        registry.audience(stream.info).then((count) => {
          if (count > 0) {
            stream.endGrace();
          } else if (!stream.orphaned) {
            logger.info({ requestId: id, graceMs: options.resumeGraceMs }, 'stream orphaned');
            stream.startGrace(options.resumeGraceMs);
          }
        }, logStoreError(id));
      }
    },
    reportPressure(requestId, sessionId, congested) {
      let sessions = pressure.get(requestId);
      if (congested) {
        if (!running.has(requestId)) return;
        if (!sessions) {
          sessions = new Set();
          pressure.set(requestId, sessions);
        }
        sessions.add(sessionId);
      } else {
        sessions?.delete(sessionId);
        if (sessions?.size === 0) pressure.delete(requestId);
      }
      recheckPressure(requestId);
    },
    get runningStreams() {
      return running.size;
    },
    async idle() {
      while (relays.size > 0) await Promise.allSettled([...relays]);
    },
    cancelAll() {
      for (const stream of [...running.values()]) stream.cancel();
    },
  };
  return host;
}
