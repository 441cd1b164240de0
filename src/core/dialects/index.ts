/**
 * Choosing a dialect: by configuration, or (`auto`) from the response headers and the first event.
 */
import type { SseEvent } from '../sse-mapping.ts';
import { AI_SDK_HEADER, createAiSdkDialect } from './ai-sdk.ts';
import { createAnthropicDialect } from './anthropic.ts';
import { createEventDialect } from './event.ts';
import { createLegacyDialect } from './legacy.ts';
import { createOpenAiDialect } from './openai.ts';
import { type Dialect, type DialectName, isObject, parseData } from './types.ts';

export { DIALECT_NAMES, type Dialect, type DialectName, type UpstreamFormat } from './types.ts';

const FACTORIES: Record<DialectName, () => Dialect> = {
  legacy: createLegacyDialect,
  openai: createOpenAiDialect,
  anthropic: createAnthropicDialect,
  'ai-sdk': createAiSdkDialect,
  event: createEventDialect,
};

/** A fresh mapper of the named dialect. */
export function createDialect(name: DialectName): Dialect {
  return FACTORIES[name]();
}

const ANTHROPIC_EVENTS = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
]);
const AI_SDK_TYPES =
  /^(start|start-step|finish-step|finish|text-(start|delta|end)|reasoning-(start|delta|end)|tool-(input|output)-[a-z-]+|source-[a-z-]+|file|data-.+|message-metadata|abort)$/;
const LANGSERVE_EVENTS = new Set(['metadata', 'data', 'end']);

/** The dialect a response speaks, from its headers alone; undefined when they do not say. */
export function detectFromHeaders(
  header: (name: string) => string | null,
): DialectName | undefined {
  return header(AI_SDK_HEADER) !== null ? 'ai-sdk' : undefined;
}

/** The dialect a response speaks, from its first event (`legacy` when nothing else fits). */
export function detectFromEvent(event: SseEvent): DialectName {
  const name = event.event;
  if (name !== undefined && ANTHROPIC_EVENTS.has(name)) return 'anthropic';
  if (name !== undefined && LANGSERVE_EVENTS.has(name)) return 'event';
  const value = parseData(event.data);
  if (isObject(value)) {
    if (value.object === 'chat.completion.chunk' || Array.isArray(value.choices)) return 'openai';
    if (typeof value.type === 'string' && ANTHROPIC_EVENTS.has(value.type)) return 'anthropic';
    if (typeof value.type === 'string' && AI_SDK_TYPES.test(value.type)) return 'ai-sdk';
  }
  return 'legacy';
}
