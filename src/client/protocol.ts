/** What the bridge sends, as the client SDK hands it on (see docs/protocol.md). */
import { CONVERSATION_ID_FIELDS } from '../core/protocol/conversation-fields.ts';

/** The client protocols the bridge speaks. */
export type ClientProtocol = 'socketio' | 'ws';

/** One `chat_response` frame. */
export interface ChatResponse {
  /** `text`, `agent_status`, `error`, `stop`, or whatever type the upstream sent. */
  type: string;
  /** `text`: `{data}`; `agent_status`: `{status, message}`; `error`: `{code, message}`; `stop`. */
  content: unknown;
  request_id: string;
  /** 0, 1, 2, … per request, no gaps. */
  seq: number;
  /** When the bridge numbered the frame (ms since the epoch; absent from bridges before 0.2). */
  timestamp?: number;
}

/** `presence`: how many sockets (and which users) are in a conversation. */
export interface Presence {
  conversation_id: string;
  clients: number;
  users?: string[];
  /** When the bridge sent it (ms since the epoch). */
  timestamp?: number;
}

/** `user_message`: another member of a conversation sent a chat_message. */
export interface UserMessage {
  conversation_id: string;
  request_id: string;
  /** The chat_message data that member sent. */
  data: Record<string, unknown>;
  /** When the bridge sent it (ms since the epoch). */
  timestamp?: number;
}

/** The connection's state. `reconnecting` covers both waiting to retry and retrying. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** chat_message data fields that name a conversation (the bridge joins the sender to it). */
export { CONVERSATION_ID_FIELDS };

/** The conversation a chat_message names, if any. */
export function toConversationId(data: Record<string, unknown> | undefined): string | undefined {
  for (const field of CONVERSATION_ID_FIELDS) {
    const value = data?.[field];
    if (typeof value === 'string') return value;
  }
  return undefined;
}
