/**
 * `/ws` heartbeat: a WebSocket ping frame every interval; a peer that has not answered with a pong
 * within the timeout is terminated (half-open TCP connections are otherwise never noticed).
 *
 * One interval pings every tracked socket and one timeout per round checks that round's answers,
 * instead of two timers per connection: an idle connection then holds no timer and no closure of
 * its own. A socket's first ping comes up to one interval after it connects.
 */
import type { WebSocket } from 'ws';

/** The sockets kept alive by pings. */
export interface WsHeartbeat {
  track(ws: WebSocket): void;
  untrack(ws: WebSocket): void;
}

/** Ping every tracked `/ws` peer each interval and drop the ones silent past the timeout. */
export function createWsHeartbeat(options: {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}): WsHeartbeat {
  const sockets = new Set<WebSocket>();
  /** Sockets pinged and not answered yet. */
  const waiting = new Set<WebSocket>();
  let interval: ReturnType<typeof setInterval> | undefined;

  function onPong(this: WebSocket): void {
    waiting.delete(this);
  }
  const expire = (round: WebSocket[]): void => {
    for (const ws of round) if (waiting.has(ws)) ws.terminate();
  };
  const pingAll = (): void => {
    const round: WebSocket[] = [];
    for (const ws of sockets) {
      if (waiting.has(ws)) continue; // still inside an earlier round's timeout
      waiting.add(ws);
      round.push(ws);
      ws.ping();
    }
    if (round.length > 0) setTimeout(expire, options.heartbeatTimeoutMs, round);
  };

  return {
    track(ws) {
      sockets.add(ws);
      ws.on('pong', onPong);
      interval ??= setInterval(pingAll, options.heartbeatIntervalMs);
    },
    untrack(ws) {
      sockets.delete(ws);
      waiting.delete(ws);
      ws.off('pong', onPong);
      if (sockets.size === 0 && interval !== undefined) {
        clearInterval(interval);
        interval = undefined;
      }
    },
  };
}
