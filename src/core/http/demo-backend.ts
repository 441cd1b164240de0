/**
 * The embedded demo SSE backend: a legacy-format `POST /chat` that answers an agent_status frame,
 * a short answer word by word as text frames, then stop. Web-standard, so any runtime can serve it.
 */
import { cancelTimer, type Timer } from '../internal/timers.ts';
import { ERROR_TABLE } from '../internal/errors.ts';

/** Pause between words: slow enough to watch the stream, fast enough not to bore. */
export const DEFAULT_DEMO_WORD_DELAY_MS = 60;

/** The answer text for a user message. */
export function toDemoAnswer(userText: string): string {
  const echo = userText.trim() === '' ? 'nothing' : `"${userText.trim().slice(0, 200)}"`;
  return `You said ${echo}. This answer comes from the sse2ws demo backend, streamed word by word over Server-Sent Events and relayed to your socket.`;
}

const sse = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;

/** Handle `POST /chat` of the demo backend. */
export async function handleDemoChat(
  request: Request,
  wordDelayMs: number = DEFAULT_DEMO_WORD_DELAY_MS,
): Promise<Response> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return Response.json(
      { error: 'body must be JSON' },
      { status: ERROR_TABLE.bad_request.status },
    );
  }
  const text =
    typeof body === 'object' && body !== null && 'current_text' in body
      ? String((body as { current_text: unknown }).current_text ?? '')
      : '';
  const words = toDemoAnswer(text).split(' ');
  const encoder = new TextEncoder();
  let timer: Timer | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(
        encoder.encode(
          sse({
            type: 'agent_status',
            content: { status: 'running', message: 'Thinking about your message…' },
          }),
        ),
      );
      let i = 0;
      const next = (): void => {
        if (i < words.length) {
          const word = i === 0 ? words[i] : ` ${words[i]}`;
          i++;
          controller.enqueue(encoder.encode(sse({ type: 'text', content: { data: word } })));
          timer = setTimeout(next, wordDelayMs);
          return;
        }
        controller.enqueue(encoder.encode(sse({ type: 'stop' })));
        controller.close();
      };
      timer = setTimeout(next, wordDelayMs);
    },
    cancel() {
      cancelTimer(timer);
    },
  });
  return new Response(stream, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
  });
}
