/**
 * The client port's answer-once rule (src/core/transport/client-port.ts), on a session that
 * answers too often or after it closed: every transport's acks and `/ws` ids go through it.
 */
import { describe, expect, it } from 'vitest';
import { toClientPort } from '../../../src/core/transport/client-port.ts';
import type { Reply, ReplyOutcome, Session } from '../../../src/core/session/session.ts';

/** A session whose receive answers `times` times; only what the port reads is real. */
function answeringSession(times: number, state = { isClosed: false }) {
  const session = {
    get isClosed() {
      return state.isClosed;
    },
    receive(_event: string, data: unknown, reply?: Reply) {
      for (let i = 0; i < times; i++) reply?.({ data: { i, data } });
    },
  };
  return { session: session as unknown as Session, state };
}

describe('toClientPort', () => {
  it('passes the first answer of a message and drops the rest', () => {
    const { session } = answeringSession(3);
    const answers: ReplyOutcome[] = [];
    toClientPort(session).receive('ping', 'x', (outcome) => void answers.push(outcome));
    expect(answers).toEqual([{ data: { i: 0, data: 'x' } }]);
  });

  it('answers each message once on its own', () => {
    const { session } = answeringSession(2);
    const port = toClientPort(session);
    const answers: ReplyOutcome[] = [];
    port.receive('ping', 1, (outcome) => void answers.push(outcome));
    port.receive('ping', 2, (outcome) => void answers.push(outcome));
    expect(answers).toEqual([{ data: { i: 0, data: 1 } }, { data: { i: 0, data: 2 } }]);
  });

  it('does not answer once the session closed', () => {
    const { session, state } = answeringSession(1);
    state.isClosed = true;
    const answers: ReplyOutcome[] = [];
    toClientPort(session).receive('ping', 1, (outcome) => void answers.push(outcome));
    expect(answers).toEqual([]);
  });

  it('gives the session no reply when the client asked for none', () => {
    const replies: Array<Reply | undefined> = [];
    const session = {
      isClosed: false,
      receive: (_e: string, _d: unknown, r?: Reply) => void replies.push(r),
    };
    toClientPort(session as unknown as Session).receive('ping', 1);
    expect(replies).toEqual([undefined]);
  });
});
