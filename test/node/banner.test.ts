import { describe, expect, it } from 'vitest';
import { toBanner } from '../../src/node/banner.ts';
import { toResolvedLogFormat } from '../../src/node/logger.ts';

const lines = (text: string) => text.split('\n').map((l) => l.trim());

describe('toBanner', () => {
  it('lists the playground, socket, probe and metrics URLs and the upstream', () => {
    const text = toBanner({
      url: 'http://127.0.0.1:8080',
      playground: true,
      upstream: 'http://127.0.0.1:5000/chat',
      demo: false,
      version: '1.2.3',
    });
    expect(lines(text)).toEqual(
      expect.arrayContaining([
        'sse2ws 1.2.3 listening on http://127.0.0.1:8080',
        'Playground  http://127.0.0.1:8080/',
        'WebSocket   ws://127.0.0.1:8080/ws',
        'Socket.IO   http://127.0.0.1:8080/socket.io/',
        'Health      http://127.0.0.1:8080/healthz',
        'Readiness   http://127.0.0.1:8080/readyz',
        'Metrics     http://127.0.0.1:8080/metrics',
        'Upstream    http://127.0.0.1:5000/chat',
      ]),
    );
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('\u001b[');
  });

  it('leaves the playground out when it is off and marks the demo backend', () => {
    const text = toBanner({
      url: 'http://127.0.0.1:8080',
      playground: false,
      upstream: 'http://127.0.0.1:4000/chat',
      demo: true,
    });
    expect(text).not.toContain('Playground');
    expect(lines(text)).toContain('sse2ws listening on http://127.0.0.1:8080');
    expect(lines(text)).toContain('Upstream    http://127.0.0.1:4000/chat (embedded demo backend)');
  });

  it.each([
    ['http://0.0.0.0:8080', '0.0.0.0:8080'],
    ['http://[::]:9000', '[::]:9000'],
  ])('shows localhost URLs when listening on every interface (%s)', (url, listen) => {
    const text = toBanner({ url, playground: true, upstream: 'http://api/chat', demo: false });
    const port = new URL(url).port;
    expect(lines(text)).toContain(`sse2ws listening on ${listen} (all interfaces)`);
    expect(lines(text)).toContain(`Playground  http://localhost:${port}/`);
    expect(lines(text)).toContain(`WebSocket   ws://localhost:${port}/ws`);
  });

  it('keeps an IPv6 address it can open', () => {
    const text = toBanner({
      url: 'http://[::1]:8080',
      playground: false,
      upstream: 'http://api/chat',
      demo: false,
    });
    expect(lines(text)).toContain('Health      http://[::1]:8080/healthz');
  });
});

describe('toResolvedLogFormat', () => {
  it('is readable on a terminal and JSON elsewhere when auto', () => {
    expect(toResolvedLogFormat('auto', true)).toBe('pretty');
    expect(toResolvedLogFormat('auto', false)).toBe('json');
  });

  it('follows an explicit json or pretty whatever stdout is', () => {
    expect(toResolvedLogFormat('json', true)).toBe('json');
    expect(toResolvedLogFormat('pretty', false)).toBe('pretty');
  });
});
