/**
 * The config file is read once per start (issue 18: it was read in three places): the CLI reads
 * it and hands it to startNodeServer, which hands it to the bridge; each reads the file only when
 * nothing was handed down. A path that does not exist shows whether a layer read it again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/index.ts';
import { toBridgeConfig } from '../../src/node/config.ts';
import { startNodeServer } from '../../src/node/server.ts';
import { onCleanup, testOptions } from '../helpers/bridge.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sse2ws-config-'));
  dirs.push(dir);
  return dir;
}

describe('toBridgeConfig', () => {
  it('returns the config handed down without reading the file', () => {
    const given = { profiles: {} };
    const missing = join(tempDir(), 'missing.json');
    expect(toBridgeConfig({ config: missing }, given)).toBe(given);
  });

  it('reads the config option file when nothing was handed down', () => {
    const file = join(tempDir(), 'sse2ws.json');
    writeFileSync(file, JSON.stringify({ request: { method: 'GET' } }));
    expect(toBridgeConfig({ config: file }, undefined)).toMatchObject({
      request: { method: 'GET' },
    });
  });

  it('has no config without the option, and names an unreadable file', () => {
    expect(toBridgeConfig({ config: undefined }, undefined)).toBeUndefined();
    const missing = join(tempDir(), 'missing.json');
    const read = (): unknown => toBridgeConfig({ config: missing }, undefined);
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(`config ${missing}: cannot read the file (ENOENT)`);
  });
});

describe('startNodeServer', () => {
  it('uses the config it is given and does not read the config option file again', async () => {
    const missing = join(tempDir(), 'missing.json');
    const bridge = await startNodeServer(testOptions({ config: missing }), {
      upstreamUrl: 'http://127.0.0.1:9/chat',
      config: {},
    });
    onCleanup(() => bridge.close());
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('reads the config option file itself when given none', async () => {
    const missing = join(tempDir(), 'missing.json');
    await expect(
      startNodeServer(testOptions({ config: missing }), { upstreamUrl: 'http://127.0.0.1:9/chat' }),
    ).rejects.toThrow(`config ${missing}: cannot read the file (ENOENT)`);
  });
});
