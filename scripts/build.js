#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm install` / `npm ci` / `npm pack` build too): tsc emits
// dist/ (JavaScript, .d.ts, source and declaration maps) from src/{core,node,client} and the
// Workers entry (with the core it imports) into dist/workers/, then esbuild bundles the browser SDK
// the playground serves, with the options dist/node/client-bundle.js uses.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// The Workers entry ships as JavaScript like the rest (wrangler bundles it); built against
// Cloudflare's types, apart from the Node build, so its declarations let a Workers project
// type-check against it.
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.workers.json'], {
  cwd: root,
  stdio: 'inherit',
});

const { build } = await import('esbuild');
const { CLIENT_BUNDLE_BUILD, CLIENT_BUNDLE_FILE } = await import('../dist/node/client-bundle.js');
await build({
  ...CLIENT_BUNDLE_BUILD,
  entryPoints: [fileURLToPath(new URL('../src/client/browser.ts', import.meta.url))],
  outfile: CLIENT_BUNDLE_FILE,
});
