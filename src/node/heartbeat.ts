/**
 * `/ws` heartbeat: a WebSocket ping frame every interval; a peer that has not answered with a pong
 * within the timeout is terminated (half-open TCP connections are otherwise never noticed).
 */
import type { WebSocket } from 'ws';
import type { WsHooks } from '../core/http-app.ts';

/** Hooks that ping every `/ws` peer and drop the silent ones. */
export function createWsHeartbeat(options: {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}): WsHooks {
  const stops = new Map<string, () => void>();
  return {
    onOpen(ctx, session) {
      const ws = ctx.raw as WebSocket;
      let deadline: ReturnType<typeof setTimeout> | undefined;
      const onPong = (): void => {
        clearTimeout(deadline);
        deadline = undefined;
      };
      ws.on('pong', onPong);
      const interval = setInterval(() => {
        if (deadline !== undefined) return;
        deadline = setTimeout(() => ws.terminate(), options.heartbeatTimeoutMs);
        ws.ping();
      }, options.heartbeatIntervalMs);
      stops.set(session.id, () => {
        clearInterval(interval);
        clearTimeout(deadline);
        ws.off('pong', onPong);
      });
    },
    onClose(_ctx, session) {
      stops.get(session.id)?.();
      stops.delete(session.id);
    },
  };
}
