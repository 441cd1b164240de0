/**
 * A deliberately plain reference of the upstream -> chat_response mapping (docs/upstream.md), for
 * issue 19: the fast path must give clients exactly what this gives, for every recorded body.
 *
 * It maps a whole recorded answer at once: decode every byte, split the SSE with
 * eventsource-parser, `JSON.parse` each data, one `switch` per dialect, plain objects out. It
 * imports no mapping code from `src/` (that would compare the code with itself): only types and
 * the error table's messages. Where it reads differently from the code, the test says which one
 * the docs back.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { UpstreamFormat } from '../../src/core/config/upstream-format.ts';
import { ERROR_TABLE } from '../../src/core/internal/errors.ts';

/** A frame before numbering: what a dialect produces. */
export interface RefFrame {
  type: string;
  content: unknown;
}

/** A numbered frame as a client receives it, without its `timestamp`. */
export interface RefChatResponse extends RefFrame {
  request_id: string;
  seq: number;
}

/** One recorded answer, as the bridge's HTTP client sees it. */
export interface RefAnswer {
  status: number;
  /** Response headers (lower-case names). */
  headers: Record<string, string>;
  /** The body with its transfer framing removed. */
  body: Uint8Array;
  /**
   * The body ended with a connection failure where its framing shows one (chunked without the
   * last chunk, or short of its Content-Length); a close-delimited body never does.
   */
  failed: boolean;
}

type Json = Record<string, unknown>;
type Dialect = 'legacy' | 'openai' | 'anthropic' | 'ai-sdk' | 'event';

/** Bytes of a non-2xx body the error frame quotes (docs: "a preview"). */
const ERROR_PREVIEW_BYTES = 512;
/** Events held undecided under `auto` before the stream counts as legacy. */
const MAX_UNDECIDED = 32;
const KEEPALIVES = ['ping', 'heartbeat', 'keep-alive'];
const LANGSERVE = ['metadata', 'data', 'end'];
const ANTHROPIC_NAMES = [
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
];

const isPlainObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const stopFrame = (reason: string, extra: Json = {}): RefFrame => ({
  type: 'stop',
  content: { reason, ...extra },
});

/** The upstream's own code (a number as its text), else `upstream_error`. */
function errorCode(code: unknown): string {
  if (typeof code === 'string' && code !== '') return code;
  if (typeof code === 'number' && Number.isFinite(code)) return String(code);
  return 'upstream_error';
}

/** A message for an error member of any shape. */
function errorMessage(error: unknown): string {
  if (typeof error === 'string') return error;
  if (isPlainObject(error)) {
    if (typeof error.message === 'string') return error.message;
    if ('error' in error) return errorMessage(error.error);
  }
  return JSON.stringify(error) ?? 'upstream error';
}

/** Every error frame carries `content.code` and `content.message`. */
function errorFrame(content: unknown): RefFrame {
  if (isPlainObject(content)) {
    const message = typeof content.message === 'string' ? content.message : errorMessage(content);
    return { type: 'error', content: { ...content, code: errorCode(content.code), message } };
  }
  const message = typeof content === 'string' ? content : (JSON.stringify(content) ?? 'error');
  return { type: 'error', content: { code: 'upstream_error', message } };
}

/** The event's name when it is not the default `message` (EventSource's onmessage). */
function namedEvent(event: EventSourceMessage): string | undefined {
  return event.event === undefined || event.event === '' || event.event === 'message'
    ? undefined
    : event.event;
}

const isKeepAlive = (event: EventSourceMessage): boolean =>
  event.event !== undefined && KEEPALIVES.includes(event.event);

/**
 * The legacy rules, docs/upstream.md 1-6, for one event: a frame, `'done'` for `[DONE]`, or
 * nothing.
 */
function legacyFrame(event: EventSourceMessage): RefFrame | 'done' | undefined {
  if (isKeepAlive(event)) return undefined;
  const json = parseJson(event.data);
  if (isPlainObject(json)) {
    if (typeof json.type === 'string') {
      let frame: RefFrame;
      if ('content' in json) {
        frame = { type: json.type, content: json.content };
      } else {
        const rest: Json = { ...json };
        delete rest.type;
        frame = { type: json.type, content: rest };
      }
      return frame.type === 'error' ? errorFrame(frame.content) : frame;
    }
    if ('error' in json && !('type' in json)) {
      const details = isPlainObject(json.error) ? json.error : { error: json.error };
      return {
        type: 'error',
        content: { ...details, code: errorCode(details.code), message: errorMessage(json.error) },
      };
    }
  }
  const name = namedEvent(event);
  if (name !== undefined) {
    if (json !== undefined)
      return name === 'error' ? errorFrame(json) : { type: name, content: json };
    if (name === 'error') return errorFrame(event.data);
    return undefined;
  }
  if (event.data.trim() === '[DONE]') return 'done';
  return { type: 'text', content: { data: event.data } };
}

/** One stream's mapper: its frames for each event, and the stop for a clean end of the body. */
interface RefMapper {
  map(event: EventSourceMessage): RefFrame[];
  end(): RefFrame;
}

/** An event another dialect cannot map goes out by the legacy rules; `[DONE]` is its own stop. */
function fallback(event: EventSourceMessage, stop: () => RefFrame): RefFrame[] {
  const frame = legacyFrame(event);
  if (frame === 'done') return [stop()];
  return frame === undefined ? [] : [frame];
}

function createMapper(dialect: Dialect): RefMapper {
  let sawError = false;
  let finishReason: unknown;
  let stopReason: string | undefined;
  const reason = (): string => (sawError ? 'error' : 'complete');
  const note = (frames: RefFrame[]): RefFrame[] => {
    if (frames.some((f) => f.type === 'error')) sawError = true;
    return frames;
  };

  switch (dialect) {
    case 'legacy':
      return {
        map(event) {
          const frame = legacyFrame(event);
          if (frame === 'done') return [stopFrame(reason())];
          return frame === undefined ? [] : note([frame]);
        },
        end: () => stopFrame(reason()),
      };

    case 'openai': {
      const stop = (): RefFrame =>
        stopFrame(
          reason(),
          typeof finishReason === 'string' && finishReason !== ''
            ? { finish_reason: finishReason }
            : {},
        );
      return {
        map(event) {
          if (event.data.trim() === '[DONE]') return [stop()];
          const chunk = parseJson(event.data);
          const mapped =
            isPlainObject(chunk) &&
            (chunk.object === 'chat.completion.chunk' ||
              Array.isArray(chunk.choices) ||
              isPlainObject(chunk.usage) ||
              ('error' in chunk && !('type' in chunk)));
          if (!mapped) return note(fallback(event, stop));
          if ('error' in chunk) {
            const error = chunk.error;
            const details = isPlainObject(error) ? error : {};
            const message =
              isPlainObject(error) && typeof error.message === 'string'
                ? error.message
                : String(error);
            return note([
              { type: 'error', content: { ...details, code: errorCode(details.code), message } },
            ]);
          }
          const frames: RefFrame[] = [];
          for (const choice of Array.isArray(chunk.choices) ? chunk.choices : []) {
            if (!isPlainObject(choice)) continue;
            const delta = isPlainObject(choice.delta) ? choice.delta : {};
            if (typeof delta.content === 'string' && delta.content !== '') {
              frames.push({ type: 'text', content: { data: delta.content } });
            }
            if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
              frames.push({ type: 'thinking', content: { data: delta.reasoning_content } });
            }
            const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
            for (const call of calls) {
              if (!isPlainObject(call)) continue;
              const fn = isPlainObject(call.function) ? call.function : {};
              const content: Json = { index: call.index };
              if (typeof call.id === 'string') content.id = call.id;
              if (typeof fn.name === 'string') content.name = fn.name;
              content.arguments = typeof fn.arguments === 'string' ? fn.arguments : '';
              frames.push({ type: 'tool_call', content });
            }
            if (typeof choice.finish_reason === 'string') finishReason = choice.finish_reason;
          }
          if (isPlainObject(chunk.usage)) frames.push({ type: 'usage', content: chunk.usage });
          return frames;
        },
        end: () => stop(),
      };
    }

    case 'anthropic': {
      const stop = (): RefFrame =>
        stopFrame(reason(), stopReason ? { stop_reason: stopReason } : {});
      return {
        map(event) {
          const value = parseJson(event.data);
          const type =
            isPlainObject(value) && typeof value.type === 'string' ? value.type : event.event;
          if (type === undefined || ![...ANTHROPIC_NAMES, 'ping', 'error'].includes(type)) {
            return note(fallback(event, stop));
          }
          if (!isPlainObject(value)) {
            return type === 'error'
              ? note([{ type: 'error', content: { code: 'upstream_error', message: event.data } }])
              : [];
          }
          switch (type) {
            case 'content_block_start': {
              const block = isPlainObject(value.content_block) ? value.content_block : {};
              if (block.type !== 'tool_use') return [];
              const content = { index: value.index, id: block.id, name: block.name, arguments: '' };
              return [{ type: 'tool_call', content }];
            }
            case 'content_block_delta': {
              const delta = isPlainObject(value.delta) ? value.delta : {};
              switch (delta.type) {
                case 'text_delta':
                  return [{ type: 'text', content: { data: delta.text } }];
                case 'thinking_delta':
                  return [{ type: 'thinking', content: { data: delta.thinking } }];
                case 'input_json_delta':
                  return [
                    {
                      type: 'tool_call',
                      content: { index: value.index, arguments: delta.partial_json },
                    },
                  ];
                default:
                  return [];
              }
            }
            case 'message_delta': {
              const delta = isPlainObject(value.delta) ? value.delta : {};
              if (typeof delta.stop_reason === 'string') stopReason = delta.stop_reason;
              return isPlainObject(value.usage) ? [{ type: 'usage', content: value.usage }] : [];
            }
            case 'message_stop':
              return [stop()];
            case 'error': {
              const error = isPlainObject(value.error) ? value.error : {};
              const details: Json = { ...error };
              delete details.message;
              const message = typeof error.message === 'string' ? error.message : 'upstream error';
              return note([
                { type: 'error', content: { ...details, code: errorCode(details.code), message } },
              ]);
            }
            default:
              return [];
          }
        },
        end: () => stop(),
      };
    }

    case 'ai-sdk': {
      const stop = (): RefFrame =>
        stopFrame(
          reason(),
          typeof finishReason === 'string' ? { finish_reason: finishReason } : {},
        );
      return {
        map(event) {
          if (event.data.trim() === '[DONE]') return [stop()];
          const part = parseJson(event.data);
          if (!isPlainObject(part) || typeof part.type !== 'string' || !isAiSdkType(part.type)) {
            return note(fallback(event, stop));
          }
          const rest: Json = { ...part };
          delete rest.type;
          const type = part.type;
          if (type === 'text-delta') return [{ type: 'text', content: { data: part.delta } }];
          if (type === 'reasoning-delta')
            return [{ type: 'thinking', content: { data: part.delta } }];
          if (type.startsWith('tool-input-')) {
            delete rest.toolCallId;
            delete rest.toolName;
            const phase = type.slice('tool-input-'.length);
            const content = { id: part.toolCallId, name: part.toolName, phase, ...rest };
            return [{ type: 'tool_call', content }];
          }
          if (type.startsWith('tool-output-')) {
            delete rest.toolCallId;
            const phase = type.slice('tool-output-'.length);
            return [{ type: 'tool_result', content: { id: part.toolCallId, phase, ...rest } }];
          }
          if (type === 'error') {
            const message = typeof part.errorText === 'string' ? part.errorText : 'upstream error';
            return note([{ type: 'error', content: { code: 'upstream_error', message } }]);
          }
          if (type === 'finish') {
            finishReason = part.finishReason;
            return [stop()];
          }
          return [];
        },
        end: () => stop(),
      };
    }

    case 'event':
      return {
        map(event) {
          const name = event.event ?? 'message';
          if (name === 'end') return [stopFrame(reason())];
          const json = parseJson(event.data);
          const content = json === undefined ? event.data : json;
          if (name === 'error') return note([errorFrame(content)]);
          return [{ type: name, content }];
        },
        end: () => stopFrame(reason()),
      };
  }
}

/** The UI message stream v1 part types. */
function isAiSdkType(type: string): boolean {
  const exact = [
    'start',
    'start-step',
    'finish-step',
    'finish',
    'error',
    'text-start',
    'text-delta',
    'text-end',
    'reasoning-start',
    'reasoning-delta',
    'reasoning-end',
    'file',
    'message-metadata',
    'abort',
  ];
  if (exact.includes(type)) return true;
  return /^(tool-input-|tool-output-|source-)[a-z-]+$/.test(type) || /^data-.+$/.test(type);
}

/** docs/upstream.md "Detection under auto": the dialect one event proves, or undefined. */
function detect(event: EventSourceMessage): Dialect | undefined {
  const name = namedEvent(event);
  const json = parseJson(event.data);
  if (name !== undefined && LANGSERVE.includes(name) && (json !== undefined || name === 'end')) {
    return 'event';
  }
  if (name !== undefined && json === undefined) return undefined;
  if (!isPlainObject(json)) return 'legacy';
  if (json.object === 'chat.completion.chunk' || Array.isArray(json.choices)) return 'openai';
  if (typeof json.type !== 'string') return 'error' in json ? undefined : 'legacy';
  const type = json.type;
  if (name !== undefined && ANTHROPIC_NAMES.includes(name) && type === name) return 'anthropic';
  if (type === 'message_start' && isPlainObject(json.message) && json.message.type === 'message') {
    return 'anthropic';
  }
  if ((type === 'text-delta' || type === 'reasoning-delta') && typeof json.id === 'string') {
    return 'ai-sdk';
  }
  // A type another dialect also uses proves nothing on its own.
  if (ANTHROPIC_NAMES.includes(type) || type === 'ping' || isAiSdkType(type)) return undefined;
  return 'legacy';
}

/**
 * The SSE events of a whole body, in order: eventsource-parser's, plus the `end` events without a
 * data line that LangServe ends with (the SSE algorithm drops those; the named-event dialect and
 * detection need them; every other dialect maps them to nothing). The text is fed one line at a
 * time so a dataless `end` is noticed exactly where it stands.
 */
export function splitSse(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  let blockName: string | undefined;
  let blockHasData = false;
  for (const line of text
    .split(/\r\n|\r|\n/)
    .map((l, i, all) => (i < all.length - 1 ? `${l}\n` : l))) {
    const before = events.length;
    parser.feed(line);
    if (line === '\n') {
      if (events.length === before && blockName === 'end' && !blockHasData) {
        events.push({ event: 'end', data: '', id: undefined });
      }
      blockName = undefined;
      blockHasData = false;
    } else if (line.startsWith('event:')) {
      blockName = line.slice(line[6] === ' ' ? 7 : 6).replace(/\n$/, '');
    } else if (line.startsWith('data')) {
      blockHasData = true;
    }
  }
  return events;
}

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function bodyKind(contentType: string | undefined): 'sse' | 'json' | 'text' | undefined {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType === undefined) return undefined;
  if (media === 'text/event-stream') return 'sse';
  if (media === 'application/json' || media.endsWith('+json')) return 'json';
  if (media.startsWith('text/')) return 'text';
  return undefined;
}

/** Everything up to and including the first stop: later frames are ignored. */
function untilStop(frames: RefFrame[]): RefFrame[] {
  const stop = frames.findIndex((f) => f.type === 'stop');
  return stop === -1 ? frames : frames.slice(0, stop + 1);
}

/** The frames a client gets for `answer` read with `format`, ending with exactly one stop. */
export function referenceFrames(answer: RefAnswer, format: UpstreamFormat): RefFrame[] {
  const failure = (
    code: 'upstream_status' | 'upstream_bad_response' | 'upstream_closed',
    message: string,
    details: Json = {},
  ): RefFrame[] => [{ type: 'error', content: { ...details, code, message } }, stopFrame('error')];
  if (answer.status < 200 || answer.status > 299) {
    // The preview is cut at a byte count and not flushed: a cut character is left out.
    const preview = new TextDecoder().decode(answer.body.subarray(0, ERROR_PREVIEW_BYTES), {
      stream: true,
    });
    return failure('upstream_status', `upstream answered HTTP ${answer.status}`, {
      status: answer.status,
      body: preview,
    });
  }
  const contentType = answer.headers['content-type'];
  const kind = bodyKind(contentType);
  if (kind === undefined) {
    return failure(
      'upstream_bad_response',
      `upstream answered ${contentType ?? 'no content type'}, not SSE, JSON or text`,
    );
  }
  const closed = (): RefFrame[] => failure('upstream_closed', ERROR_TABLE.upstream_closed.message);
  if (kind !== 'sse') {
    if (answer.failed) return closed();
    const text = decode(answer.body);
    if (kind === 'text') return [{ type: 'text', content: { data: text } }, stopFrame('complete')];
    const frame = legacyFrame({ data: text, event: undefined, id: undefined });
    if (frame === 'done') return [stopFrame('complete')];
    if (frame === undefined) return [stopFrame('complete')];
    return untilStop([frame, stopFrame(frame.type === 'error' ? 'error' : 'complete')]);
  }

  const frames: RefFrame[] = [];
  let mapper: RefMapper | undefined;
  const held: EventSourceMessage[] = [];
  const choose = (dialect: Dialect): void => {
    mapper = createMapper(dialect);
    for (const event of held.splice(0)) frames.push(...mapper.map(event));
  };
  if (format !== 'auto') choose(format);
  else if (answer.headers['x-vercel-ai-ui-message-stream'] !== undefined) choose('ai-sdk');

  for (const event of splitSse(decode(answer.body))) {
    if (isKeepAlive(event)) continue;
    if (mapper === undefined) {
      const dialect = detect(event);
      if (dialect === undefined) {
        held.push(event);
        if (held.length >= MAX_UNDECIDED) choose('legacy');
        continue;
      }
      choose(dialect);
    }
    frames.push(...(mapper as RefMapper).map(event));
  }
  // Ended (or failed) undecided: what was held goes out by the legacy rules, before any failure.
  if (mapper === undefined) choose('legacy');
  const ending = answer.failed ? closed() : [(mapper as unknown as RefMapper).end()];
  return untilStop([...frames, ...ending]);
}

/** Numbered as the bridge numbers them: seq 0, 1, 2, … under one request id. */
export function toReferenceResponses(frames: RefFrame[], requestId: string): RefChatResponse[] {
  return frames.map((frame, seq) => ({
    type: frame.type,
    content: frame.content,
    request_id: requestId,
    seq,
  }));
}
