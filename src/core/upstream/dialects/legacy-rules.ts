/**
 * Maps one upstream SSE event to a frame, by the README's rules (numbered as there).
 */
import { type Frame, UpstreamJsonFrame } from '../../protocol/frame.ts';

/** One parsed SSE event (the shape eventsource-parser produces). */
export interface SseEvent {
  event?: string | undefined;
  data: string;
}

/** The `[DONE]` sentinel of OpenAI-style streams: the stream is complete (rule 3). */
export const DONE = Symbol('done');

/** Parse JSON, or `undefined` when the text is not JSON. Cheap pre-check avoids throwing on prose. */
export function tryParseJson(text: string): unknown {
  const first = text.trimStart()[0];
  if (first === undefined) return undefined;
  if (!'{["-0123456789tfn'.includes(first)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The message of an in-band upstream error member, whatever shape it has. */
function errorMessage(error: unknown): string {
  if (typeof error === 'string') return error;
  if (isObject(error)) {
    if (typeof error.message === 'string') return error.message;
    if ('error' in error) return errorMessage(error.error);
  }
  return JSON.stringify(error) ?? 'upstream error';
}

/** Rule 1/6 applied to an already-parsed JSON value; `undefined` when neither applies. */
export function fromJsonValue(value: unknown): Frame | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.type === 'string') {
    if ('content' in value) return { type: value.type, content: value.content };
    const { type, ...rest } = value;
    return { type, content: rest };
  }
  if ('error' in value && !('type' in value)) {
    const details = isObject(value.error) ? value.error : { error: value.error };
    return {
      type: 'error',
      content: {
        ...details,
        code: toUpstreamCode(details.code),
        message: errorMessage(value.error),
      },
    };
  }
  return undefined;
}

/**
 * The upstream's own error code when it gives one: a string as it is, a number as its decimal
 * text; `upstream_error` otherwise (frontends branch on codes like `rate_limit_exceeded`).
 */
export function toUpstreamCode(code: unknown): string {
  if (typeof code === 'string' && code !== '') return code;
  if (typeof code === 'number' && Number.isFinite(code)) return String(code);
  return 'upstream_error';
}

/**
 * Named events that only keep a connection alive (sse-starlette's `event: ping` with a timestamp,
 * Anthropic's `ping`): consumed like comments, in every dialect, and never what decides one.
 */
export const KEEPALIVE_EVENTS: ReadonlySet<string> = new Set(['ping', 'heartbeat', 'keep-alive']);

/** Whether the event is a named keep-alive. */
export const isKeepAlive = (event: SseEvent): boolean =>
  event.event !== undefined && KEEPALIVE_EVENTS.has(event.event);

/** Whether the event has a name other than the default `message` (EventSource's `onmessage`). */
export const isNamed = (event: SseEvent): boolean =>
  event.event !== undefined && event.event !== '' && event.event !== 'message';

/**
 * Rules:
 * 1. JSON object with a string `type` -> that type; content = its `content`, else the rest.
 * 6. JSON object with `error` and no `type` -> error frame; the upstream's `code` when it has
 *    one, else `upstream_error`.
 * 3. `[DONE]` (not in a named event) -> {@link DONE}.
 * 2. a named event (not `message`), as a browser EventSource would treat it: `onmessage` never
 *    saw it, so it never becomes answer text.
 *    - keep-alive names (`ping`, `heartbeat`, `keep-alive`) -> nothing (consumed like comments);
 *    - JSON data -> type = event name, content = the data;
 *    - `error` with non-JSON data -> error frame with that text as message;
 *    - other non-JSON data -> nothing (`undefined`; the relay logs it at debug).
 * 4. anything else -> text frame with the raw data.
 */
export function toFrame(event: SseEvent): Frame | typeof DONE | undefined {
  if (isKeepAlive(event)) return undefined;
  const frame = toRawFrame(event);
  return frame !== DONE && frame?.type === 'error' ? toErrorFrame(frame.content) : frame;
}

/**
 * Error frames always carry `content.code` and `content.message`, as the seed frontends read them;
 * an upstream error that lacks them gets `upstream_error` and a message.
 */
export function toErrorFrame(content: unknown): Frame {
  if (isObject(content)) {
    const code = toUpstreamCode(content.code);
    const message = typeof content.message === 'string' ? content.message : errorMessage(content);
    return { type: 'error', content: { ...content, code, message } };
  }
  const message = typeof content === 'string' ? content : (JSON.stringify(content) ?? 'error');
  return { type: 'error', content: { code: 'upstream_error', message } };
}

/** Whether a parsed object has no members besides `type` and `content`. */
function hasOnlyTypeAndContent(value: object): boolean {
  let members = 0;
  for (const key in value) {
    if (key !== 'type' && key !== 'content') return false;
    members++;
  }
  return members === 2;
}

function toRawFrame(event: SseEvent): Frame | typeof DONE | undefined {
  const { data } = event;
  const json = tryParseJson(data);
  const fromJson = fromJsonValue(json);
  if (fromJson) {
    // The text already is the frame's JSON: keep it, so it need not be serialised again.
    return hasOnlyTypeAndContent(json as object)
      ? new UpstreamJsonFrame(fromJson.type, fromJson.content, data)
      : fromJson;
  }
  if (isNamed(event)) {
    const name = event.event as string;
    if (json !== undefined) return { type: name, content: json };
    if (name === 'error') {
      return { type: 'error', content: { code: 'upstream_error', message: data } };
    }
    return undefined;
  }
  if (data.trim() === '[DONE]') return DONE;
  return { type: 'text', content: { data } };
}
