/**
 * A Socket.IO EVENT packet's text, built once per message instead of by socket.io-parser's encoder
 * per socket: `2["event",data]`, or `2/nsp,["event",data]` off the root namespace. Byte for byte
 * what the encoder writes for JSON data (it never sees binary here: every payload is JSON), so
 * clients cannot tell; a frame's canonical JSON is reused across a conversation's fan-out.
 */
import { LocalFrame } from '../protocol/frame.ts';

/** The JSON text of the one event every frame goes out as. */
const CHAT_RESPONSE_NAME = JSON.stringify('chat_response');

/** `JSON.stringify(value)` as an array element writes it (`null` where it gives nothing). */
function toElementJson(value: unknown): string {
  if (typeof value === 'object' && value !== null) return LocalFrame.canonicalJsonOf(value);
  return JSON.stringify(value) ?? 'null';
}

/** The packet text of `emit(event, data)` (no `data`: `emit(event)`) on namespace `nsp`. */
export function toSocketIoEventText(nsp: string, event: string, data?: unknown): string {
  const head = nsp === '/' ? '2[' : `2${nsp},[`;
  const name = event === 'chat_response' ? CHAT_RESPONSE_NAME : JSON.stringify(event);
  return data === undefined ? `${head}${name}]` : `${head}${name},${toElementJson(data)}]`;
}
