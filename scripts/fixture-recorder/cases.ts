/** What the recorder asks each fixture server for, and the shape of a server's recipe. */
import type { PeerFixtureRequest } from '../../test/helpers/peer-fixtures.ts';
import type { RunningServer } from './processes.ts';

/** One recording: a request to a running server, and what to do while it answers. */
export interface RecordCase {
  /** File name suffix; the legacy servers also read it as the request body's `fixture` key. */
  name: string;
  /** One sentence for the fixture header and README. */
  demonstrates: string;
  /** The request; default: `POST /chat` with `{"message":"Hello","fixture":<name>}`. */
  request?: PeerFixtureRequest;
  /** Kill the server once these bytes arrived. */
  killAfter?: string;
  /** Whether the answer is `text/event-stream`. @default true */
  eventStream?: boolean;
  /** Side requests made while the answer streams (nchan's publishes). */
  whileStreaming?: (server: RunningServer) => Promise<string[]>;
}

/** How to record one kind of server. */
export interface ServerRecipe {
  /** File name prefix, e.g. `flask`. */
  id: string;
  /** Installs what it can (into caches outside the repo); resolves with why it cannot run, or null. */
  prepare(): Promise<string | null>;
  /** Software and versions, for the fixture headers. */
  version(): string;
  start(): Promise<RunningServer>;
  cases: RecordCase[];
}

/** The request every legacy fixture server gets: a chat message, and the case to stream. */
export const toChatRequest = (name: string): PeerFixtureRequest => ({
  method: 'POST',
  path: '/chat',
  headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json' },
  body: JSON.stringify({ message: 'Hello', fixture: name }),
});

/** The second text frame's data: once it arrived, an `abrupt` case kills the server. */
export const ABRUPT_MARKER = '"lo"';

/** The cases scripts/fixture-servers/legacy-cases.json defines, as every legacy server streams them. */
export const LEGACY_CASES: RecordCase[] = [
  {
    name: 'legacy-answer',
    demonstrates: 'the plain legacy answer: text "Hel", text "lo", stop {"reason":"done"}',
  },
  {
    name: 'keepalive',
    demonstrates:
      'a `: keep-alive` comment and a named `event: ping` keep-alive with a timestamp as data, before and between legacy frames',
  },
  {
    name: 'named-events',
    demonstrates:
      'named events with JSON data (`status`) and non-JSON data (`progress: 50%`, `done: [DONE]`), and a frame sent as an explicit `event: message`, among legacy frames',
  },
  {
    name: 'type-collision',
    demonstrates:
      'a legacy frame whose type another dialect also uses ({"type":"ping","content":{}}) comes first, then the plain answer (issue 15 reproduction)',
  },
  {
    name: 'error-frame',
    demonstrates:
      'an in-band legacy error frame {"type":"error","content":{"code":"rate_limited"}} after the first text',
  },
  {
    name: 'http-error',
    demonstrates: 'a 429 answered with a JSON error body instead of a stream',
    eventStream: false,
  },
  {
    name: 'abrupt',
    demonstrates: 'the server process is killed after two text frames: no stop, no clean end',
    killAfter: ABRUPT_MARKER,
  },
];
