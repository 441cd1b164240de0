/**
 * The plain WebSocket envelope: `{"event": string, "data"?: any, "id"?: string | number}` both
 * ways. Runtime adapters hand text frames to {@link receiveWsText} and send what it produces.
 */
import { BridgeError } from './errors.ts';
import { LocalFrame } from './frame.ts';
import { withTimestamp } from './timestamp.ts';
import type { ClientConnection, Reply, Session } from './session.ts';

/** One parsed client message. */
export interface WsEnvelope {
  event: string;
  data?: unknown;
  id?: string | number;
}

/** Serialise one outgoing message. */
export function toWsText(event: string, data?: unknown, id?: string | number): string {
  if (event === 'chat_response' && id === undefined && typeof data === 'object' && data !== null) {
    // The hot path: reuse the frame's text the registry already made.
    return `{"event":"chat_response","data":${LocalFrame.jsonOf(data)}}`;
  }
  const envelope: WsEnvelope = { event };
  if (id !== undefined) envelope.id = id;
  if (data !== undefined) envelope.data = data;
  return JSON.stringify(envelope);
}

/**
 * Parse a client text frame. On failure returns the error and, when the text still carried a
 * usable `id`, that id so the error can answer it.
 */
export function fromWsText(
  text: string,
): { ok: true; envelope: WsEnvelope } | { ok: false; error: BridgeError; id?: string | number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: new BridgeError('bad_message', 'message is not JSON') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: new BridgeError('bad_message', 'message is not a JSON object') };
  }
  const record = value as Record<string, unknown>;
  const id = record.id;
  const validId = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  if (id !== undefined && !validId) {
    return { ok: false, error: new BridgeError('bad_message', 'id must be a string or a number') };
  }
  if (typeof record.event !== 'string' || record.event === '') {
    const error = new BridgeError('bad_message', 'message has no string "event"');
    return validId ? { ok: false, error, id: id as string | number } : { ok: false, error };
  }
  const envelope: WsEnvelope = { event: record.event, data: record.data };
  if (validId) envelope.id = id as string | number;
  return { ok: true, envelope };
}

/** A {@link ClientConnection} that writes envelopes through `sendText`. */
export function createWsConnection(
  sendText: (text: string) => void,
  socket: {
    bufferedBytes?: () => number;
    close?: (code: number, reason: string) => void;
    remoteAddress?: string | undefined;
  } = {},
): ClientConnection {
  return {
    protocol: 'ws',
    send: (event, data) => sendText(toWsText(event, data)),
    ...socket,
  };
}

/** Handle one text frame from a `/ws` client. */
export function receiveWsText(
  session: Session,
  text: string,
  sendText: (text: string) => void,
): void {
  const parsed = fromWsText(text);
  if (!parsed.ok) {
    const payload = withTimestamp(parsed.error.toPayload());
    sendText(toWsText('error', payload, parsed.id));
    return;
  }
  const { event, data, id } = parsed.envelope;
  let reply: Reply | undefined;
  if (id !== undefined) {
    let answered = false;
    reply = (outcome) => {
      if (answered) return;
      answered = true;
      if ('error' in outcome) sendText(toWsText('error', outcome.error, id));
      else sendText(toWsText(outcome.event ?? 'ack', outcome.data ?? {}, id));
    };
  }
  session.receive(event, data, reply);
}
