/**
 * The answer to one client message that asked for one (a Socket.IO ack, a `/ws` `id`): sent at
 * most once, whatever the session does, on every transport (the client port wraps each answer).
 */
import type { Reply, ReplyOutcome } from '../session/session.ts';

/** A {@link Reply} that calls `answer` for its first outcome only, and only while `isActive()`. */
export function toReplyOnce(
  answer: (outcome: ReplyOutcome) => void,
  isActive: () => boolean = () => true,
): Reply {
  let answered = false;
  return (outcome) => {
    if (answered || !isActive()) return;
    answered = true;
    answer(outcome);
  };
}

/**
 * Socket.IO's answer: the ack gets the data, or `{error}`; an error also goes out as an `error`
 * event through `errors` (the session's connection, so a profile reshapes it like any `error`).
 */
export function toSocketIoAnswer(
  ack: (value: unknown) => void,
  errors: { send(event: string, data?: unknown): void },
): (outcome: ReplyOutcome) => void {
  return (outcome) => {
    if ('error' in outcome) {
      errors.send('error', outcome.error);
      ack({ error: outcome.error });
    } else {
      ack(outcome.data);
    }
  };
}
