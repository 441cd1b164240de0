/**
 * The legacy dialect: the foundation's rules (README "Upstream request and mapping", numbered as
 * there) that map one SSE event to one frame (`{"type": …}` frames, named events, `[DONE]`, text).
 * The other dialects send what they cannot map through these rules too ({@link toFrame}).
 */
import { type Frame, toStopFrame, UpstreamJsonFrame } from '../../protocol/frame.ts';
import { isObject, tryParseJson } from '../../internal/json.ts';
import { isKeepAlive, isNamed, type SseEvent } from '../sse-event.ts';
import { type Dialect, type DialectName, type DialectReport, silentReport } from './types.ts';

/** A dialect that maps every event by the legacy rules; the stop says whether an error went out. */
export function createLegacyDialect(report: DialectReport = silentReport): Dialect {
  let sawError = false;
  const end = (): Frame => toStopFrame(sawError ? 'error' : 'complete');
  return {
    name: 'legacy',
    map(event) {
      const frame = toFrame(event);
      if (frame === DONE) return [end()];
      if (frame === undefined) {
        report.dropped('legacy', event);
        return [];
      }
      if (frame.type === 'error') sawError = true;
      return [frame];
    },
    end,
  };
}

/** The `[DONE]` sentinel of OpenAI-style streams: the stream is complete (rule 3). */
export const DONE = Symbol('done');

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

/**
 * An error frame with the upstream's details (`type`, `param`, …) as they were, its own `code`
 * when it gives one (else `upstream_error`), and `message`.
 */
export function toUpstreamError(message: string, details: Record<string, unknown> = {}): Frame {
  return { type: 'error', content: { ...details, code: toUpstreamCode(details.code), message } };
}

/**
 * An event the dialect cannot map goes out by the legacy rules (never silently dropped), and is
 * reported; `[DONE]` ends the stream with the dialect's own stop.
 */
export function toUnmappedFrames(
  dialect: DialectName,
  event: SseEvent,
  report: DialectReport,
  stop: () => Frame,
): Frame[] {
  report.unmapped(dialect, event);
  const frame = toFrame(event);
  if (frame === DONE) return [stop()];
  return frame === undefined ? [] : [frame];
}
