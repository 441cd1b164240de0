/**
 * The one error table (issue 18): every code has its message, its WebSocket close code and its
 * HTTP status there, and no numeric close code or HTTP error status is written anywhere else in
 * the bridge's sources.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BridgeError, ERROR_TABLE, type ErrorCode, WS_CLOSE } from '../../../src/core/index.ts';

const SRC = new URL('../../../src/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

describe('the error table', () => {
  it('gives every code a message, a known close code and an HTTP error status', () => {
    const closes = new Set<number>(Object.values(WS_CLOSE));
    for (const [code, spec] of Object.entries(ERROR_TABLE)) {
      expect(spec.message.length, code).toBeGreaterThan(0);
      expect(closes.has(spec.close), code).toBe(true);
      expect(spec.status >= 400 && spec.status <= 599, code).toBe(true);
    }
  });

  it('keeps the statuses and close codes clients rely on', () => {
    const pick = (code: ErrorCode) => [ERROR_TABLE[code].status, ERROR_TABLE[code].close];
    expect(pick('unauthorized')).toEqual([401, 1008]);
    expect(pick('forbidden_origin')).toEqual([403, 1008]);
    expect(pick('server_busy')).toEqual([503, 1013]);
    expect(pick('server_shutdown')).toEqual([503, 1001]);
    expect(pick('message_too_big')).toEqual([413, 1009]);
    expect(pick('upstream_closed')[1]).toBe(1011);
    expect(pick('bad_config')[0]).toBe(500);
  });

  it('answers a BridgeError with its table entry', () => {
    const error = new BridgeError('too_many_streams');
    expect([error.status, error.closeCode]).toEqual([429, 1008]);
    expect(error.toPayload()).toEqual({
      code: 'too_many_streams',
      message: ERROR_TABLE.too_many_streams.message,
    });
  });

  it('is the only place numeric close codes and HTTP error statuses are written (src/ outside the client SDK)', () => {
    const numeric = [
      /\.close\(\s*1\d{3}\b/, // ws.close(1008, …)
      /\bstatus:\s*[45]\d\d\b/, // { status: 404 }
      /,\s*[45]\d\d\s*\)/, // c.json(body, 400)
      /=\s*1(000|001|008|009|011|013)\s*;/, // const CLOSE_X = 1008;
    ];
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      if (file.endsWith('/internal/errors.ts') || file.includes('/client/')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\*|\/\/)/.test(line)) return;
          if (numeric.some((re) => re.test(line)))
            offenders.push(`${file.slice(SRC.length)}:${i + 1}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
