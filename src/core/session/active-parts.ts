/** The parts of a session that only an active client needs, made on first use. */
import type { ChatStreams } from './chat.ts';
import type { Conversations } from './conversations.ts';
import type { Delivery } from './delivery.ts';
import type { RateLimit } from './rate-limit.ts';

/**
 * The parts of a session made on first use: most connections sit idle, and their collections
 * cost about 1 KB each connection; kept together, an idle session holds one field for all of them.
 * Each part makes its own collections lazily too.
 */
export class ActiveParts {
  delivery: Delivery | undefined = undefined;
  conversations: Conversations | undefined = undefined;
  chat: ChatStreams | undefined = undefined;
  /** The chain of client events being handled, one after another. */
  queue: Promise<void> | undefined = undefined;
  /** Made at the first message: an idle connection never needs its bucket. */
  rateLimit: RateLimit | undefined = undefined;
  /** When the client last sent a message. */
  lastMessageAt: number | undefined = undefined;
}
