// The legacy-dialect answers the Node fixture servers stream (legacy-cases.json; step kinds are
// described in legacy_cases.py), and the small plumbing every Node fixture server shares.
/* global URL, console, process, setTimeout */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const data = JSON.parse(readFileSync(new URL('./legacy-cases.json', import.meta.url), 'utf8'));

/** Steps per case name. */
export const CASES = data.cases;
/** The non-SSE error answer of the "http-error" case. */
export const HTTP_ERROR = data.httpError;
/** The plain answer: two text frames and a stop. */
export const ANSWER = CASES['legacy-answer'];

/** Tells the recorder which port the server listens on (it binds port 0). */
export const announce = (port) => console.log(`LISTENING ${port}`);

/** The request body's "fixture" key, which names the case to stream. */
export async function readCase(readJson) {
  const body = await readJson().catch(() => ({}));
  return typeof body?.fixture === 'string' ? body.fixture : 'legacy-answer';
}

/**
 * `require` for the recording-only packages (better-sse, ai, mock-llm), which the recorder
 * installs into a cache directory outside the repo and names in FIXTURE_NODE_DEPS.
 */
export const requireDep = (name) => {
  const dir = process.env.FIXTURE_NODE_DEPS;
  if (!dir) throw new Error('FIXTURE_NODE_DEPS is not set: run via npm run fixtures:record');
  return createRequire(join(dir, 'package.json'))(name);
};

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
