/**
 * The Worker-side {@link StreamHost}: streams run in their Durable Object, which also watches its
 * own audience (its subscriber sockets and its conversation's members) for the grace period.
 */
import type { StreamHost, StreamInfo } from '../core/index.ts';
import type { Env } from './env.ts';
import { callObject, streamObject } from './object-api.ts';

const q = encodeURIComponent;

/** Ask the stream's object to start, find or cancel it. */
export function createObjectStreamHost(env: Env): StreamHost {
  return {
    async startStream(info, body, headers) {
      const path = `/start?id=${q(info.requestId)}`;
      await callObject(streamObject(env, info.requestId), path, { info, body, headers });
    },
    async findRunning(requestId) {
      const path = `/info?id=${q(requestId)}`;
      const answer = await callObject<{ info: StreamInfo | null }>(
        streamObject(env, requestId),
        path,
      );
      return answer.info ?? undefined;
    },
    async cancelStream(requestId) {
      const path = `/cancel?id=${q(requestId)}`;
      const answer = await callObject<{ cancelled: boolean }>(
        streamObject(env, requestId),
        path,
        {},
      );
      return answer.cancelled;
    },
    audienceChanged() {
      // The objects see their subscriber sockets close and re-check on their own.
    },
    reportPressure() {
      // Workers' WebSocket exposes no send-buffer size, so no client is ever seen congested.
    },
  };
}
