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
  /** The tracked sockets: every connected `/ws` client (the bridge's `webSockets`). */
  readonly sockets: ReadonlySet<WebSocket>;
  track(ws: WebSocket): void;
  untrack(ws: WebSocket): void;
  /**
   * `ws` answered a ping. Its socket reports it (ws-upgrade.ts's BridgeWebSocket): a 'pong'
   * listener per socket would double the size of its listener table.
   */
  answered(ws: WebSocket): void;
}

/** Ping every tracked `/ws` peer each interval and drop the ones silent past the timeout. */
export function createWsHeartbeat(options: {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}): WsHeartbeat {
  const sockets = new Set<WebSocket>();
  /** Sockets pinged and not answered yet, with the round whose ping they owe. */
  const waiting = new Map<WebSocket, number>();
  /** Each round's timeout, cleared when the last socket goes. */
  const deadlines = new Set<ReturnType<typeof setTimeout>>();
  let interval: ReturnType<typeof setInterval> | undefined;
  let rounds = 0;

  const pingAll = (): void => {
    const round = ++rounds;
    const pinged: WebSocket[] = [];
    for (const ws of sockets) {
      if (waiting.has(ws)) continue; // still inside an earlier round's timeout
      waiting.set(ws, round);
      pinged.push(ws);
      ws.ping();
    }
    if (pinged.length === 0) return;
    const deadline = setTimeout(() => {
      deadlines.delete(deadline);
      // Only a socket still owing this round's pong (with timeout > interval, a later round may
      // have pinged it again after it answered this one).
      for (const ws of pinged) if (waiting.get(ws) === round) ws.terminate();
    }, options.heartbeatTimeoutMs);
    deadlines.add(deadline);
  };

  return {
    sockets,
    answered(ws) {
      waiting.delete(ws);
    },
    track(ws) {
      sockets.add(ws);
      interval ??= setInterval(pingAll, options.heartbeatIntervalMs);
    },
    untrack(ws) {
      sockets.delete(ws);
      waiting.delete(ws);
      if (sockets.size === 0 && interval !== undefined) {
        clearInterval(interval);
        interval = undefined;
        for (const deadline of deadlines) clearTimeout(deadline);
        deadlines.clear();
      }
    },
  };
}
