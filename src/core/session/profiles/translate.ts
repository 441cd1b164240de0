/**
 * The outbound half of a profile: a {@link ClientConnection} that turns core events into the
 * profile's, keeping per-answer state (delta index, text so far, conversation) for its templates.
 */
import type { ChatResponse } from '../../protocol/frame.ts';
import { isObject } from '../../internal/json.ts';
import type { ClientConnection } from '../session.ts';
import { readsPath, renderTemplate, type TemplateContext } from './template.ts';
import type { AnswerOutcome, AnswerView, Emit, Profile } from './types.ts';

/**
 * Answers a connection keeps state for at once; the oldest go first. An answer's state is dropped
 * at its stop, so only answers this client stopped following (a left conversation) pile up.
 */
export const DEFAULT_MAX_OPEN_ANSWERS = 1_000;

/** A connection that speaks a profile. */
export interface ProfileConnection extends ClientConnection {
  /** The answer `requestId` belongs to `conversationId` (for `answer.conversationId`). */
  noteConversation(requestId: string, conversationId: string): void;
}

interface AnswerState extends AnswerView {
  started: boolean;
}

/** How an answer ended, from its stop (and any error frame before it). */
function toOutcome(answer: AnswerState, stop: ChatResponse): AnswerOutcome {
  if (answer.outcome === 'error') return 'error';
  const reason = isObject(stop.content) ? stop.content.reason : undefined;
  if (reason === 'cancelled') return 'cancelled';
  // `abandoned`: nobody was left to receive it; a client that sees this stop resumed too late.
  if (reason === 'error' || reason === 'abandoned') return 'error';
  return 'complete';
}

/**
 * The frame rules for a frame: a stop looks for `stop:<outcome>` first (`stop:error`,
 * `stop:cancelled`, `stop:complete`), so a failure need not look like success; then its type,
 * then `*`. Own keys only: a frame type comes from the upstream ("constructor" must not match).
 */
function rulesFor(
  frames: Readonly<Record<string, readonly Emit[]>>,
  frame: ChatResponse,
  answer: AnswerState,
): readonly Emit[] {
  if (frame.type === 'stop') {
    const key = `stop:${answer.outcome}`;
    if (Object.hasOwn(frames, key)) return frames[key] ?? [];
  }
  const type = Object.hasOwn(frames, frame.type) ? frame.type : '*';
  return (Object.hasOwn(frames, type) ? frames[type] : undefined) ?? [];
}

/** Every template an outbound rule list holds reads `path`. */
function rulesRead(profile: Profile, path: string): boolean {
  const { start = [], frames = {}, events = {} } = profile.outbound;
  const emits = [...start, ...Object.values(frames).flat(), ...Object.values(events).flat()];
  return emits.some((e) => readsPath(e.data, path));
}

/** Wrap `connection` so it speaks `profile` outbound. `now` is the clock behind `$now`. */
export function toProfileConnection(
  connection: ClientConnection,
  profile: Profile,
  now: () => Date = () => new Date(),
): ProfileConnection {
  const { start, frames, events } = profile.outbound;
  // The text of an answer is only kept when a template uses it (it grows with the answer).
  const keepText = rulesRead(profile, 'answer.text');
  const answers = new Map<string, AnswerState>();

  const answerFor = (requestId: string): AnswerState => {
    let state = answers.get(requestId);
    if (!state) {
      state = { requestId, index: -1, deltas: 0, text: '', outcome: 'running', started: false };
      answers.set(requestId, state);
      if (answers.size > DEFAULT_MAX_OPEN_ANSWERS) {
        answers.delete(answers.keys().next().value as string);
      }
    }
    return state;
  };

  const emit = (rules: readonly Emit[], data: unknown, answer?: AnswerState): void => {
    const context: TemplateContext = {
      data,
      now: now().toISOString(),
      ...(answer ? { answer: toAnswerView(answer) } : {}),
    };
    for (const rule of rules) {
      connection.send(
        rule.event,
        rule.data === undefined ? data : renderTemplate(rule.data, context),
      );
    }
  };

  const sendFrame = (frame: ChatResponse): void => {
    const answer = answerFor(frame.request_id);
    if (!answer.started) {
      answer.started = true;
      if (start) emit(start, frame, answer);
    }
    const content = frame.content;
    if (frame.type === 'text' && isObject(content) && typeof content.data === 'string') {
      answer.index = answer.deltas++;
      if (keepText) answer.text += content.data;
    }
    if (frame.type === 'error') {
      answer.outcome = 'error';
      answer.error = toAnswerError(content);
    }
    if (frame.type === 'stop') {
      answer.outcome = toOutcome(answer, frame);
      answers.delete(frame.request_id);
    }
    if (!frames) return connection.send('chat_response', frame);
    emit(rulesFor(frames, frame, answer), frame, answer);
  };

  const noteConversation = (requestId: string, conversationId: string): void => {
    answerFor(requestId).conversationId = conversationId;
  };

  const { bufferedBytes, close } = connection;
  return {
    protocol: connection.protocol,
    ...(bufferedBytes ? { bufferedBytes: () => bufferedBytes.call(connection) } : {}),
    ...(close
      ? { close: (code: number, reason: string) => close.call(connection, code, reason) }
      : {}),
    noteConversation,
    send(event, data) {
      if (event === 'chat_response' && isObject(data)) {
        return sendFrame(data as unknown as ChatResponse);
      }
      if (event === 'user_message' && isObject(data)) {
        const { conversation_id: conversationId, request_id: requestId } = data;
        if (typeof conversationId === 'string' && typeof requestId === 'string') {
          noteConversation(requestId, conversationId);
        }
      }
      const rules = events && Object.hasOwn(events, event) ? events[event] : undefined;
      if (rules) emit(rules, data);
      else connection.send(event, data);
    },
  };
}

function toAnswerError(content: unknown): { code: string; message: string } {
  const { code, message } = isObject(content) ? content : {};
  return {
    code: typeof code === 'string' ? code : 'upstream_error',
    message: typeof message === 'string' ? message : 'upstream error',
  };
}

function toAnswerView(state: AnswerState): AnswerView {
  const { requestId, conversationId, index, deltas, text, outcome, error } = state;
  return {
    requestId,
    ...(conversationId === undefined ? {} : { conversationId }),
    index,
    deltas,
    text,
    outcome,
    ...(error === undefined ? {} : { error }),
  };
}
