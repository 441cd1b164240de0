/**
 * What every transport holds for a connected client: its session, and the one way its messages go
 * in, with the answer to a message (a Socket.IO ack, a `/ws` `id`) sent at most once.
 */
import type { BridgeOptions } from '../config/types.ts';
import type { Handshake } from '../protocol/handshake.ts';
import type { ClientConnection, ReplyOutcome, Session } from '../session/session.ts';
import { toReplyOnce } from './reply.ts';

/** How a transport answers one client message; the port calls it at most once. */
export type Answer = (outcome: ReplyOutcome) => void;

/** A connected client as its transport drives it. */
export interface ClientPort {
  readonly session: Session;
  /**
   * One client message. `answer` is given when the client asked for one; it is called for the
   * first outcome only, and not once the session closed.
   */
  receive(event: string, data: unknown, answer?: Answer): void;
}

/** A client whose connect request was admitted: opening it over its connection makes its session. */
export interface AdmittedClient {
  readonly handshake: Handshake;
  /** The bridge's options (limits the transport enforces, e.g. `maxMessageBytes`). */
  readonly options: BridgeOptions;
  open(connection: ClientConnection): ClientPort;
}

/**
 * What a port's `receive` does: one client message into `session`, its answer (when asked for)
 * sent at most once and not once the session closed. A transport that keeps only the session (no
 * port object per connection: idle memory) sends its messages through here.
 */
export function receiveFromClient(
  session: Session,
  event: string,
  data: unknown,
  answer?: Answer,
): void {
  // The answer-once wrapper is made only for a message that asked for an answer.
  session.receive(event, data, answer && toReplyOnce(answer, () => !session.isClosed));
}

/** The port of an open session: one small object, with no closures of its own. */
class SessionPort implements ClientPort {
  constructor(readonly session: Session) {}

  receive(event: string, data: unknown, answer?: Answer): void {
    receiveFromClient(this.session, event, data, answer);
  }
}

/** The port of an open session. */
export function toClientPort(session: Session): ClientPort {
  return new SessionPort(session);
}
