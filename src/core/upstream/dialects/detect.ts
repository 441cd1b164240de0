/**
 * `--upstream-format auto`: which dialect a response speaks. The rule is that detection never
 * discards an answer: a frame of the legacy shape is legacy whatever its type is called, unless
 * the headers or a strong signature of another dialect say otherwise, and an event that proves
 * nothing (a keep-alive, a named event without JSON, a legacy frame whose type another dialect
 * also uses) leaves the question open; the relay holds such events until one decides.
 */
import { isObject, tryParseJson } from '../../internal/json.ts';
import { isKeepAlive, isNamed, type SseEvent } from '../sse-event.ts';
import { AI_SDK_HEADER, AI_SDK_TYPES } from './ai-sdk.ts';
import { ANTHROPIC_EVENTS } from './anthropic.ts';
import type { DialectName } from './types.ts';

/** Events held while undecided; past this many the stream is legacy (the rules' default). */
export const DEFAULT_MAX_UNDECIDED_EVENTS = 32;

/** A decision, with the reason the stream's log line gives. */
export interface Detection {
  dialect: DialectName;
  reason: string;
}

const LANGSERVE_EVENTS = new Set(['metadata', 'data', 'end']);
/** Anthropic event names that, with a payload of the same type, only Anthropic sends. */
const STRONG_ANTHROPIC_EVENTS = new Set(
  [...ANTHROPIC_EVENTS].filter((n) => n !== 'ping' && n !== 'error'),
);
const AI_SDK_DELTAS = new Set(['text-delta', 'reasoning-delta']);

/** The dialect a response speaks from its headers alone; undefined when they do not say. */
export function detectFromHeaders(header: (name: string) => string | null): Detection | undefined {
  return header(AI_SDK_HEADER) !== null
    ? { dialect: 'ai-sdk', reason: `header ${AI_SDK_HEADER}` }
    : undefined;
}

/** Whether a legacy frame type is also another dialect's name (it proves nothing on its own). */
function collides(type: string): boolean {
  return ANTHROPIC_EVENTS.has(type) || AI_SDK_TYPES.test(type);
}

/** The dialect one event proves; undefined when it proves nothing (wait for the next one). */
export function detectFromEvent(event: SseEvent): Detection | undefined {
  if (isKeepAlive(event)) return undefined;
  const name = isNamed(event) ? event.event : undefined;
  const value = tryParseJson(event.data);
  if (name !== undefined && LANGSERVE_EVENTS.has(name) && (value !== undefined || name === 'end')) {
    return { dialect: 'event', reason: `LangServe event ${name}` };
  }
  // A named event without JSON never reached an EventSource's onmessage: it says nothing.
  if (name !== undefined && value === undefined) return undefined;
  if (!isObject(value)) return { dialect: 'legacy', reason: 'not JSON object data' };
  if (value.object === 'chat.completion.chunk' || Array.isArray(value.choices)) {
    return { dialect: 'openai', reason: 'chat.completion.chunk' };
  }
  const type = typeof value.type === 'string' ? value.type : undefined;
  if (type === undefined) {
    // {"error": …} reads the same in legacy and OpenAI streams: the next event decides.
    if ('error' in value) return undefined;
    return { dialect: 'legacy', reason: 'JSON object without a type' };
  }
  if (name !== undefined && STRONG_ANTHROPIC_EVENTS.has(name) && type === name) {
    return { dialect: 'anthropic', reason: `Anthropic event ${name} with its typed payload` };
  }
  if (type === 'message_start' && isObject(value.message) && value.message.type === 'message') {
    return { dialect: 'anthropic', reason: 'Anthropic message_start payload' };
  }
  if (AI_SDK_DELTAS.has(type) && typeof value.id === 'string') {
    return { dialect: 'ai-sdk', reason: `AI SDK ${type} part with an id` };
  }
  if (collides(type)) return undefined;
  return { dialect: 'legacy', reason: `legacy frame of type ${JSON.stringify(type)}` };
}
