/**
 * The peer fixture corpus: raw responses of real SSE servers, recorded by
 * `npm run fixtures:record` (scripts/record-fixtures.ts) into test/fixtures/peers/.
 *
 * A fixture file is a pretty-printed JSON header ({@link PeerFixtureMeta}) whose closing brace
 * stands alone on its line, then, byte for byte, everything the server sent on the socket: status
 * line, headers and the body with its transfer framing (chunked, or delimited by the close).
 * {@link loadPeerFixture} undoes the framing, so `body` is exactly the bytes an HTTP client hands
 * to its SSE parser.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The `format` every fixture header carries; bump it when the layout changes. */
export const PEER_FIXTURE_FORMAT = 'sse2ws-peer-fixture/1';

/** File name ending of a fixture. */
export const PEER_FIXTURE_EXTENSION = '.capture';

/** Where the fixtures live. */
export const PEER_FIXTURES_DIR = new URL('../fixtures/peers/', import.meta.url);

/** The request the recorder made. */
export interface PeerFixtureRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The request body as sent, when there was one. */
  body?: string;
}

/** A fixture's header block. */
export interface PeerFixtureMeta {
  format: typeof PEER_FIXTURE_FORMAT;
  /** Short server id, also the file name's prefix: `flask`, `starlette`, `nchan`, ... */
  server: string;
  /** The server software and versions that produced the bytes. */
  version: string;
  /** The case recorded, also the file name's suffix: `legacy-answer`, `abrupt`, ... */
  case: string;
  /** What this fixture shows, in one sentence. */
  demonstrates: string;
  request: PeerFixtureRequest;
  /**
   * Other HTTP requests the recorder made while the response streamed (nchan's publishes), in
   * order, so a reader can tell where each event came from.
   */
  sideRequests?: string[];
  /** `abrupt`: the connection ended without the answer's framing being complete. */
  ending: 'clean' | 'abrupt';
  /** How an abrupt ending came about (which process was killed, after which bytes). */
  endingNote?: string;
  /** Whether the server answered `text/event-stream` (false for HTTP error answers). */
  eventStream: boolean;
  /** ISO time of the recording. */
  recordedAt: string;
}

/** Status line and headers of the recorded response. */
export interface PeerFixtureHead {
  status: number;
  statusText: string;
  /** Headers in the order received, names as the server spelled them. */
  rawHeaders: Array<[name: string, value: string]>;
  /** The same headers, for case-insensitive look-ups. */
  headers: Headers;
}

/** A loaded fixture. */
export interface PeerFixture {
  /** File name without directory, e.g. `flask-legacy-answer.capture`. */
  name: string;
  meta: PeerFixtureMeta;
  head: PeerFixtureHead;
  /** The response body with transfer framing removed: what an SSE parser is fed. */
  body: Uint8Array;
  /**
   * True when the connection ended mid-answer: the header says so, and where the framing can
   * show it (chunked, Content-Length) the bytes agree.
   */
  abrupt: boolean;
  /** Everything received on the socket, head included, framing untouched. */
  raw: Uint8Array;
}

const HEADER_END = '\n}\n';
const CRLF = [13, 10] as const;

/** The fixture file for `meta` followed by `raw` (what the recorder writes). */
export function encodePeerFixture(meta: PeerFixtureMeta, raw: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(`${JSON.stringify(meta, null, 2)}\n`);
  const out = new Uint8Array(header.length + raw.length);
  out.set(header);
  out.set(raw, header.length);
  return out;
}

function indexOfBytes(haystack: Uint8Array, needle: ArrayLike<number>, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const latin1 = (bytes: Uint8Array): string => new TextDecoder('latin1').decode(bytes);

function parseHead(raw: Uint8Array): { head: PeerFixtureHead; bodyStart: number } {
  const end = indexOfBytes(raw, [13, 10, 13, 10]);
  if (end < 0) throw new Error('no complete response head');
  const [statusLine = '', ...lines] = latin1(raw.subarray(0, end)).split('\r\n');
  const match = /^HTTP\/\d\.\d (\d{3}) ?(.*)$/.exec(statusLine);
  if (!match) throw new Error(`bad status line: ${statusLine}`);
  const rawHeaders = lines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const headers = new Headers();
  for (const [name, value] of rawHeaders) headers.append(name, value);
  const head = { status: Number(match[1]), statusText: match[2] ?? '', rawHeaders, headers };
  return { head, bodyStart: end + 4 };
}

/** Undo chunked transfer coding; `complete` is false when the last chunk never came. */
function dechunk(bytes: Uint8Array): { body: Uint8Array; complete: boolean } {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = indexOfBytes(bytes, CRLF, at);
    if (lineEnd < 0) break;
    const size = parseInt(latin1(bytes.subarray(at, lineEnd)).split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size at byte ${at}`);
    if (size === 0) return { body: concat(parts), complete: true };
    const start = lineEnd + 2;
    parts.push(bytes.subarray(start, Math.min(start + size, bytes.length)));
    if (start + size + 2 > bytes.length) break;
    at = start + size + 2;
  }
  return { body: concat(parts), complete: false };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parse a fixture file's bytes; throws on a malformed file or one whose framing and header disagree. */
export function parsePeerFixture(name: string, file: Uint8Array): PeerFixture {
  const headerEnd = indexOfBytes(file, new TextEncoder().encode(HEADER_END));
  if (headerEnd < 0) throw new Error(`${name}: no header block`);
  const meta = JSON.parse(
    new TextDecoder().decode(file.subarray(0, headerEnd + 2)),
  ) as PeerFixtureMeta;
  if (meta.format !== PEER_FIXTURE_FORMAT) throw new Error(`${name}: format ${meta.format}`);
  const raw = file.subarray(headerEnd + HEADER_END.length);
  const { head, bodyStart } = parseHead(raw);
  const framed = raw.subarray(bodyStart);
  const length = head.headers.get('content-length');
  let body = framed;
  let complete: boolean | undefined;
  if (/chunked/i.test(head.headers.get('transfer-encoding') ?? '')) {
    ({ body, complete } = dechunk(framed));
  } else if (length !== null) {
    body = framed.subarray(0, Number(length));
    complete = framed.length >= Number(length);
  }
  const abrupt = meta.ending === 'abrupt';
  if (complete !== undefined && complete === abrupt) {
    throw new Error(
      `${name}: header says ${meta.ending} but the framing is ${complete ? 'complete' : 'cut'}`,
    );
  }
  return { name, meta, head, body, abrupt, raw };
}

/** Load one fixture by file name (e.g. `flask-legacy-answer.capture`) from test/fixtures/peers/. */
export function loadPeerFixture(name: string): PeerFixture {
  return parsePeerFixture(name, new Uint8Array(readFileSync(new URL(name, PEER_FIXTURES_DIR))));
}

/** File names of every fixture in test/fixtures/peers/, sorted. */
export function listPeerFixtures(): string[] {
  return readdirSync(PEER_FIXTURES_DIR)
    .filter((f) => f.endsWith(PEER_FIXTURE_EXTENSION))
    .sort();
}

/** Every fixture, loaded. */
export const loadAllPeerFixtures = (): PeerFixture[] => listPeerFixtures().map(loadPeerFixture);
