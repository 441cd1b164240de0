/**
 * The streams running in one host, found by request and by conversation, and what their audience
 * means for them: the resume grace period of a stream nobody receives, and the pause of one whose
 * every receiver is congested.
 */
import type { BridgeOptions } from '../config/types.ts';
import type { Logger } from '../internal/logger.ts';
import type { Registry } from '../registry/registry.ts';
import type { Stream } from './stream.ts';

/** The running streams of one host. */
export interface RunningStreams {
  /** Streams whose stop has not gone out yet. */
  readonly size: number;
  /** The running stream under that registry key, if any. */
  get(requestId: string): Stream | undefined;
  /** Every running stream, as a copy (cancelling one changes the set). */
  toArray(): Stream[];
  /** Count a new stream in until it is done; its registry entry is finished then. */
  track(stream: Stream): void;
  /** The audience of these streams/conversations may have changed: re-check grace and pressure. */
  audienceChanged(requestIds: readonly string[], conversationIds: readonly string[]): void;
  /** A session stopped (or resumed) taking a stream's frames because its send buffer is full. */
  reportPressure(requestId: string, sessionId: string, congested: boolean): void;
}

/** What the bookkeeping needs. */
export interface RunningStreamsDeps {
  registry: Registry;
  logger: Logger;
  /** Read when a stream loses its audience: `resumeGraceMs`, how long it keeps running then. */
  options: Pick<BridgeOptions, 'resumeGraceMs'>;
}

/** Create the bookkeeping of one host's running streams. */
export function createRunningStreams(deps: RunningStreamsDeps): RunningStreams {
  const { registry, logger } = deps;
  const running = new Map<string, Stream>();
  const byConversation = new Map<string, Set<string>>();
  /** Per stream, the sessions that stopped taking its frames because their buffers are full. */
  const pressure = new Map<string, Set<string>>();
  const logStoreError = (requestId: string) => (error: unknown) =>
    logger.error({ requestId, err: String(error) }, 'registry write failed');
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
  /** A stream is done (one listener for every stream, not a closure apiece). */
  const untrack = (stream: Stream): void => {
    const { requestId, conversationId } = stream.info;
    running.delete(requestId);
    if (conversationId !== undefined) {
      const ids = byConversation.get(conversationId);
      ids?.delete(requestId);
      if (ids?.size === 0) byConversation.delete(conversationId);
    }
    pressure.delete(requestId);
    registry.finishStream(requestId).catch(logStoreError(requestId));
  };
  return {
    get size() {
      return running.size;
    },
    get: (requestId) => running.get(requestId),
    toArray: () => [...running.values()],
    track(stream) {
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
      stream.onDone(untrack);
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
            logger.info({ requestId: id, graceMs: deps.options.resumeGraceMs }, 'stream orphaned');
            stream.startGrace(deps.options.resumeGraceMs);
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
  };
}
