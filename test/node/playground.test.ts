/** The playground routes: the page and the client bundle, their headers, and the off switch. */
import { describe, expect, it } from 'vitest';
import { startBridge } from '../helpers/bridge.ts';

describe('playground routes', () => {
  it('GET / answers the page: HTML, revalidated, locked down by CSP, 304 on its ETag', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat');
    const res = await fetch(`${bridge.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/);
    const html = await res.text();
    expect(html).toContain('<script src="/sse2ws-client.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);

    const etag = res.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${bridge.url}/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('GET /sse2ws-client.js answers the browser SDK as JavaScript, 304 on its ETag', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat');
    const res = await fetch(`${bridge.url}/sse2ws-client.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const js = await res.text();
    expect(js).toContain('sse2ws');
    const etag = res.headers.get('etag') ?? '';
    const again = await fetch(`${bridge.url}/sse2ws-client.js`, {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
  });

  it('--no-playground serves neither route', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat', { playground: false });
    expect((await fetch(`${bridge.url}/`)).status).toBe(404);
    expect((await fetch(`${bridge.url}/sse2ws-client.js`)).status).toBe(404);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
  });
});
