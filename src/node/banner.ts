/**
 * The startup banner: where to point a browser, a client and the probes, as plain lines for a
 * person at a terminal (the JSON `sse2ws listening` log line carries the same for machines).
 */

/** What the banner shows. */
export interface BannerInput {
  /** `http://host:port` the bridge listens on. */
  url: string;
  /** Whether `/` serves the playground page. */
  playground: boolean;
  /** The upstream URL, already fit for display (no credentials). */
  upstream: string;
  /** True when the upstream is the embedded demo backend. */
  demo: boolean;
  /** Package version, if known. */
  version?: string;
}

/** Hosts that mean "every interface": not an address a browser can open. */
const ANY_HOST = new Set(['0.0.0.0', '[::]']);

/** The banner text, one item per line, ending with a newline. */
export function toBanner(input: BannerInput): string {
  const listen = new URL(input.url);
  const anyHost = ANY_HOST.has(listen.hostname);
  // A browser cannot open 0.0.0.0 everywhere; the same port answers on localhost.
  const base = anyHost ? `${listen.protocol}//localhost:${listen.port}` : input.url;
  const rows: Array<[string, string]> = [
    ...(input.playground ? [['Playground', `${base}/`] as [string, string]] : []),
    ['WebSocket', `${base.replace(/^http/, 'ws')}/ws`],
    ['Socket.IO', `${base}/socket.io/`],
    ['Health', `${base}/healthz`],
    ['Readiness', `${base}/readyz`],
    ['Metrics', `${base}/metrics`],
    ['Upstream', input.demo ? `${input.upstream} (embedded demo backend)` : input.upstream],
  ];
  const title = input.version === undefined ? 'sse2ws' : `sse2ws ${input.version}`;
  const where = anyHost ? `${listen.host} (all interfaces)` : input.url;
  return [
    '',
    `  ${title} listening on ${where}`,
    '',
    ...rows.map(([label, value]) => `  ${label.padEnd(12)}${value}`),
    '',
    '  Ctrl+C stops it gracefully; a second Ctrl+C cancels the running streams.',
    '',
    '',
  ].join('\n');
}
