/**
 * Answers that are not SSE: which kind a content type is, and reading a body whole as bounded text
 * (a JSON or text answer, or the preview of a non-2xx one).
 */
import { toChunks, type UpstreamBody } from './push-body.ts';

/** How an answer's body is read: as SSE, or whole as JSON or text. */
export type BodyKind = 'sse' | 'json' | 'text';

/** The body kind of a content type; undefined for one the relay does not take. */
export function toBodyKind(contentType: string | null): BodyKind | undefined {
  if (contentType === null) return undefined;
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (media === 'text/event-stream') return 'sse';
  if (media === 'application/json' || media.endsWith('+json')) return 'json';
  if (media.startsWith('text/')) return 'text';
  return undefined;
}

/**
 * Read a body as text, up to `limit` bytes (the rest is left unread); `onBytes` runs per chunk.
 */
export async function readText(
  body: UpstreamBody,
  limit: number,
  onBytes: () => void,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for await (const chunk of toChunks(body)) {
    onBytes();
    const room = limit - bytes;
    bytes += chunk.byteLength;
    text += decoder.decode(room < chunk.byteLength ? chunk.subarray(0, room) : chunk, {
      stream: true,
    });
    // Not flushed: a cut inside a character would end the text in U+FFFD, which the body lacks.
    if (bytes >= limit) return text;
  }
  return text + decoder.decode();
}
