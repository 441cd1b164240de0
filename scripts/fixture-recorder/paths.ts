/** Where the recorder reads its servers from and keeps what it installs. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fixture servers' sources. */
export const FIXTURE_SERVERS_DIR = fileURLToPath(new URL('../fixture-servers/', import.meta.url));

/**
 * Recording-only packages (better-sse, ai, mock-llm, sse-starlette) are installed here, outside
 * the repo, so sse2ws's own dependency tree does not grow for a tool run by hand.
 */
export const FIXTURE_CACHE_DIR =
  process.env.SSE2WS_FIXTURE_CACHE ?? join(homedir(), '.cache', 'sse2ws-fixture-servers');
