/**
 * A client profile: the event vocabulary one kind of frontend speaks, as plain data (event names,
 * payload templates, per-answer hooks), so a profile can come from a JSON config file. The session
 * always speaks the core vocabulary; the translation layer (./translate.ts) maps between the two.
 */

/** The events the session understands; a profile's inbound events map onto these. */
export const CORE_EVENTS = [
  'chat_message',
  'chat_resume',
  'chat_cancel',
  'join',
  'leave',
  'refresh',
  'ping',
] as const;

/** One core (session) event name. */
export type CoreEvent = (typeof CORE_EVENTS)[number];

/**
 * A JSON value in which a string starting with `$` is a path into the render context
 * (`$data.content.data`, `$answer.text`, `$now`) and `$$…` is the literal string `$…`. An object
 * member whose path is missing is left out; a missing path elsewhere renders as `null`.
 */
export type Template =
  string | number | boolean | null | readonly Template[] | { readonly [key: string]: Template };

/** One event to send; without `data`, the source event's data is sent unchanged. */
export interface Emit {
  event: string;
  data?: Template;
}

/** A client event the profile adds: it is handled as the core `event`, with `data` rendered. */
export interface InboundRule {
  event: CoreEvent;
  /** Template over `{data}` (the client's data); without it the data is passed unchanged. */
  data?: Template;
}

/**
 * What the client receives instead of core events. Templates over frames see `data` (the
 * `chat_response`: `type`, `content`, `request_id`, `seq`), `answer` (see {@link AnswerView}) and
 * `now`; templates over other events see `data` and `now`.
 */
export interface OutboundRules {
  /** Sent before anything else of an answer reaches the client (its first frame arrived). */
  start?: readonly Emit[];
  /**
   * Per chat_response frame type (`text`, `stop`, `error`, `tool_call`, …), `*` for the rest. Absent:
   * frames go out as `chat_response` unchanged. Present: a type with no entry (and no `*`) is dropped.
   * A stop first looks for `stop:<outcome>` (`stop:complete`, `stop:error`, `stop:cancelled`), so a
   * failed answer can end differently from a completed one; then `stop`.
   */
  frames?: Readonly<Record<string, readonly Emit[]>>;
  /** Per other event (`user_message`, `presence`, `error`, …); absent names go out unchanged. */
  events?: Readonly<Record<string, readonly Emit[]>>;
}

/**
 * How an answer stands: `running` until its stop; then `complete`, `cancelled` (a chat_cancel),
 * or `error` (an error frame came, or the stop says `error` / `abandoned`).
 */
export type AnswerOutcome = 'running' | 'complete' | 'cancelled' | 'error';

/** Per-answer state templates can read as `answer.*`. */
export interface AnswerView {
  requestId: string;
  /** The answer's conversation, when this client has seen it (its own message or user_message). */
  conversationId?: string;
  /** 0-based index of the latest text delta; -1 before the first. */
  index: number;
  /** Text deltas so far. */
  deltas: number;
  /** Every text delta so far, concatenated (kept only when a template reads `$answer.text`). */
  text: string;
  /** `$answer.outcome`: how the answer stands (see {@link AnswerOutcome}). */
  outcome: AnswerOutcome;
  /** `$answer.error`: the code and message of the answer's error frame, once one came. */
  error?: { code: string; message: string };
}

/** A client vocabulary. */
export interface Profile {
  name: string;
  /** The Socket.IO namespace that serves this profile (only that one). @default "/" */
  namespace: string;
  /** Client event -> core event. Core event names always keep working (aliases are additive). */
  inbound: Readonly<Record<string, InboundRule>>;
  outbound: OutboundRules;
}
