/**
 * Origins and hosts (issue 16, items 6 and 7), from the attacker's side: a website using `*`
 * with forwarded cookies, a DNS-rebinding page whose Origin matches the Host it makes the browser
 * send, and the playground served to the world. Refusals leave the server serving others.
 */
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/core/config/option-error.ts';
import { wsOutcome } from '../contract/admission-contract.ts';
import { startBridge } from '../helpers/bridge.ts';
import { runCli, spawnCli } from '../helpers/cli-process.ts';

const UPSTREAM = 'http://127.0.0.1:9/chat';

/** A polling handshake as a browser on a rebinding page sends it: its Host, its Origin. */
async function pollingAs(url: string, host: string, origin?: string): Promise<number> {
  const { port } = new URL(url);
  // fetch() does not let a page set Host; node:http does.
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/socket.io/?EIO=4&transport=polling',
        headers: { host, ...(origin ? { origin } : {}) },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('--allowed-origins * with forwarded cookies', () => {
  it('refuses to start, naming --allow-any-origin-with-credentials', async () => {
    await expect(startBridge(UPSTREAM, { allowedOrigins: ['*'] })).rejects.toThrow(OptionError);
    await expect(startBridge(UPSTREAM, { allowedOrigins: ['*'] })).rejects.toThrow(
      /--allow-any-origin-with-credentials/,
    );
    const cli = await runCli(['--port', '0', '--allowed-origins', '*']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('--allow-any-origin-with-credentials');
  });

  it('starts without cookie forwarding, or when accepted, and never reflects credentials', async () => {
    await startBridge(UPSTREAM, { allowedOrigins: ['*'], forwardHeaders: ['authorization'] });
    const server = await startBridge(UPSTREAM, {
      allowedOrigins: ['*'],
      allowAnyOriginWithCredentials: true,
    });
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'http://evil.example' },
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('DNS rebinding', () => {
  it('a loopback bridge refuses a rebinding Host on /ws and Socket.IO, and serves loopback names', async () => {
    const server = await startBridge(UPSTREAM);
    const { port } = new URL(server.url);
    const evil = `evil.example:${port}`;
    // The rebinding page's Origin matches the Host it makes the browser send.
    expect(await wsOutcome(server.url, { headers: { host: evil, origin: `http://${evil}` } })).toBe(
      403,
    );
    expect(await wsOutcome(server.url, { headers: { host: evil } })).toBe(403);
    expect(await pollingAs(server.url, evil, `http://${evil}`)).toBe(403);
    for (const name of ['localhost', '127.0.0.1', '[::1]']) {
      const host = `${name}:${port}`;
      expect(await wsOutcome(server.url, { headers: { host, origin: `http://${host}` } })).toBe(
        'open',
      );
      expect(await pollingAs(server.url, host, `http://${host}`)).toBe(200);
    }
  });

  it('--allowed-hosts lists the public names; the default Origin rule compares against them', async () => {
    const server = await startBridge(UPSTREAM, { allowedHosts: ['chat.example.com'] });
    const own = { host: 'chat.example.com' };
    expect(await wsOutcome(server.url, { headers: own })).toBe('open');
    expect(
      await wsOutcome(server.url, { headers: { ...own, origin: 'http://chat.example.com' } }),
    ).toBe('open');
    expect(await wsOutcome(server.url, { headers: { host: 'evil.example' } })).toBe(403);
    // An Origin matching the raw Host no longer passes: only the listed names are "own".
    const { port } = new URL(server.url);
    const raw = `127.0.0.1:${port}`;
    expect(await wsOutcome(server.url, { headers: { host: raw, origin: `http://${raw}` } })).toBe(
      403,
    );
  });
});

describe('start-up on a non-loopback bind', () => {
  it('warns, naming --allowed-hosts and --allowed-origins, and serves no playground', async () => {
    const cli = spawnCli(['--port', '0', '--host', '0.0.0.0', '--upstream', UPSTREAM]);
    const warning = await cli.waitForLog(/without --allowed-hosts or --allowed-origins/);
    expect(String(warning.msg)).toContain('--allowed-hosts');
    const url = (await cli.listeningUrl()).replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(`${url}/`)).status).toBe(404);
  });

  it('serves the playground with --playground, and with the demo backend', async () => {
    const asked = spawnCli([
      '--port',
      '0',
      '--host',
      '0.0.0.0',
      '--playground',
      '--upstream',
      UPSTREAM,
    ]);
    const url = (await asked.listeningUrl()).replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(`${url}/`)).status).toBe(200);
    const demo = spawnCli(['--port', '0', '--host', '0.0.0.0']);
    const demoUrl = (await demo.listeningUrl()).replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(`${demoUrl}/`)).status).toBe(200);
  });

  it('a loopback bind serves the playground by default', async () => {
    const cli = spawnCli(['--port', '0', '--upstream', UPSTREAM]);
    expect((await fetch(`${await cli.listeningUrl()}/`)).status).toBe(200);
  });
});
