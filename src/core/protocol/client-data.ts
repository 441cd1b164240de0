/**
 * Validation of client event data at the boundary: request ids, conversation ids, resume points.
 * Inside the core these values are trusted.
 */
import { BridgeError } from '../internal/errors.ts';
import { isObject } from '../internal/json.ts';
import { CONVERSATION_ID_FIELDS } from './conversation-fields.ts';

/** Longest client-chosen id; request ids travel as the X-Request-Id header. */
export const MAX_ID_LENGTH = 128;
const ID_PATTERN = /^[\x21-\x7e]+$/;

/** The one plain-object test (internal/json.ts), also where session/profiles finds it. */

function toId(value: unknown, field: string): string {
  const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
    throw new BridgeError(
      'bad_request',
      `${field} must be 1-${MAX_ID_LENGTH} visible ASCII characters`,
    );
  }
  return id;
}

/** The data of an event that must be an object. */
export function toEventData(data: unknown, event: string): Record<string, unknown> {
  if (!isObject(data)) throw new BridgeError('bad_request', `${event} data must be a JSON object`);
  return data;
}

/** The request id a chat_message names, or undefined when it names none. */
export function toOptionalRequestId(data: Record<string, unknown>): string | undefined {
  const value = data.request_id;
  return value === undefined || value === null ? undefined : toId(value, 'request_id');
}

/** A required request id (chat_cancel, chat_resume). */
export function toRequestId(data: Record<string, unknown>): string {
  if (data.request_id === undefined || data.request_id === null || data.request_id === '') {
    throw new BridgeError('bad_request', 'request_id is required');
  }
  return toId(data.request_id, 'request_id');
}

/** The conversation id of a chat_message (any of {@link CONVERSATION_ID_FIELDS}). */
export function toOptionalConversationId(data: Record<string, unknown>): string | undefined {
  for (const field of CONVERSATION_ID_FIELDS) {
    const value = data[field];
    if (value !== undefined && value !== null) return toId(value, field);
  }
  return undefined;
}

/** A required conversation id (join, leave). */
export function toConversationId(data: Record<string, unknown>): string {
  const id = toOptionalConversationId(data);
  if (id === undefined) throw new BridgeError('bad_request', 'conversation_id is required');
  return id;
}

/** `after_seq` of a chat_resume: an integer >= -1; missing means from the start (-1). */
export function toAfterSeq(data: Record<string, unknown>): number {
  const value = data.after_seq ?? -1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < -1) {
    throw new BridgeError('bad_request', 'after_seq must be an integer >= -1');
  }
  return value;
}

/**
 * The chat_message data as the upstream body, serialised before anything is claimed: data nested
 * deeper than the engine's stack (possible within the size limit) is refused, not half-started.
 */
export function toUpstreamBody(data: Record<string, unknown>): string {
  try {
    return JSON.stringify(data);
  } catch {
    throw new BridgeError(
      'bad_request',
      'chat_message data cannot be serialised (too deeply nested)',
    );
  }
}
