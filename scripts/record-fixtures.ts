/**
 * `npm run fixtures:record [-- server-id...]`: records the peer fixture corpus in
 * test/fixtures/peers/ from real servers (scripts/fixture-servers/), one file per case, with the
 * server, its version and the request in each file's header (format: test/helpers/peer-fixtures.ts).
 * Servers that are not installed are skipped with a message; recording-only npm and pip packages
 * go into a cache directory outside the repo (scripts/fixture-recorder/paths.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  encodePeerFixture,
  parsePeerFixture,
  PEER_FIXTURE_EXTENSION,
  PEER_FIXTURE_FORMAT,
  PEER_FIXTURES_DIR,
  type PeerFixtureMeta,
} from '../test/helpers/peer-fixtures.ts';
import { capture } from './fixture-recorder/capture.ts';
import { type RecordCase, type ServerRecipe, toChatRequest } from './fixture-recorder/cases.ts';
import { nchan } from './fixture-recorder/nchan-server.ts';
import { aiSdk, betterSse, hono, mockLlm } from './fixture-recorder/node-servers.ts';
import { flask, sseStarlette, starlette } from './fixture-recorder/python-servers.ts';
import { writeFixtureList } from './fixture-recorder/readme.ts';

/** Every recipe, in the order they are recorded. */
export const RECIPES: ServerRecipe[] = [
  flask,
  starlette,
  sseStarlette,
  hono,
  betterSse,
  aiSdk,
  mockLlm,
  nchan,
];

/** How long one answer may take; the slowest case (keep-alives) needs about 2 s. */
const CAPTURE_TIMEOUT_MS = 15_000;

async function recordCase(recipe: ServerRecipe, c: RecordCase, version: string): Promise<string> {
  const server = await recipe.start();
  try {
    const request = c.request ?? toChatRequest(c.name);
    const { whileStreaming } = c;
    const result = await capture({
      port: server.port,
      request,
      timeoutMs: CAPTURE_TIMEOUT_MS,
      ...(whileStreaming ? { whileStreaming: () => whileStreaming(server) } : {}),
      ...(c.killAfter ? { killAfter: { marker: c.killAfter, kill: () => server.kill() } } : {}),
    });
    const meta: PeerFixtureMeta = {
      format: PEER_FIXTURE_FORMAT,
      server: recipe.id,
      version,
      case: c.name,
      demonstrates: c.demonstrates,
      request,
      ...(result.sideRequests.length > 0 ? { sideRequests: result.sideRequests } : {}),
      ending: result.killNote === undefined ? 'clean' : 'abrupt',
      ...(result.killNote === undefined
        ? {}
        : {
            endingNote: `${result.killNote} once the bytes ${c.killAfter} had arrived; the client then saw ${result.socketError ?? 'the connection close'}`,
          }),
      eventStream: c.eventStream ?? true,
      recordedAt: new Date().toISOString(),
    };
    if (c.killAfter && result.killNote === undefined) {
      throw new Error(`the stream ended before ${c.killAfter} arrived`);
    }
    const name = `${recipe.id}-${c.name}${PEER_FIXTURE_EXTENSION}`;
    const file = encodePeerFixture(meta, result.raw);
    const parsed = parsePeerFixture(name, file);
    const type = parsed.head.headers.get('content-type') ?? '';
    if (meta.eventStream !== type.startsWith('text/event-stream')) {
      throw new Error(`content-type ${type} but eventStream is ${meta.eventStream}`);
    }
    writeFileSync(new URL(name, PEER_FIXTURES_DIR), file);
    return `${name} (${parsed.head.status}, ${parsed.body.length} body bytes${parsed.abrupt ? ', abrupt' : ''})`;
  } finally {
    await server.stop();
  }
}

/** Record the recipes named in `only` (all when empty); returns the number of failures. */
export async function recordFixtures(only: string[]): Promise<number> {
  mkdirSync(PEER_FIXTURES_DIR, { recursive: true });
  let failures = 0;
  for (const recipe of RECIPES.filter((r) => only.length === 0 || only.includes(r.id))) {
    const missing = await recipe.prepare();
    if (missing !== null) {
      console.log(`skip ${recipe.id}: ${missing}`);
      continue;
    }
    const version = recipe.version();
    console.log(`${recipe.id}: ${version}`);
    for (const c of recipe.cases) {
      try {
        console.log(`  wrote ${await recordCase(recipe, c, version)}`);
      } catch (err) {
        failures++;
        console.error(`  FAILED ${recipe.id}-${c.name}: ${(err as Error).message}`);
      }
    }
  }
  console.log(`README lists ${await writeFixtureList()} fixtures`);
  return failures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const failures = await recordFixtures(process.argv.slice(2));
  process.exitCode = failures > 0 ? 1 : 0;
}
