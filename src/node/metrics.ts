/**
 * Prometheus metrics for the Node sidecar: a {@link BridgeObserver} backed by prom-client, one
 * Registry per server (several servers in one process, as in tests, must not share counters),
 * rendered together with the process metrics at `GET /metrics`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  DIALECT_NAMES,
  ERROR_TABLE,
  silentObserver,
  type BridgeObserver,
  type ClientProtocol,
} from '../core/index.ts';

/** Every metric name starts with this, so dashboards can select the bridge's own series. */
export const METRIC_PREFIX = 'sse2ws_';

/** LLM backends answer in 0.1 s to a minute (the first-frame timeout); buckets span that. */
export const DEFAULT_FIRST_FRAME_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];

/** Relaying takes well under a millisecond; the upper buckets catch a saturated event loop. */
export const DEFAULT_FRAME_LAG_BUCKETS_S = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/**
 * `frame_lag_seconds` observes one relayed frame in this many (the first of each run): a
 * prom-client observe per frame (label hashing, an object per call) was 3 % of the bridge's CPU at
 * paced load; one in 8 keeps the distribution with an eighth of the cost.
 */
export const DEFAULT_LAG_SAMPLE_EVERY = 8;

/** Stop reasons a stream can end with besides an error code. */
const STOP_REASONS = ['complete', 'cancelled', 'abandoned', 'error'];

/** Label for values outside the known set (upstreams choose their own stop reasons and codes). */
const OTHER = 'other';

const PROTOCOLS: readonly ClientProtocol[] = ['socketio', 'ws'];

/** The bridge's metrics and the registry that renders them. */
export interface NodeMetrics {
  /** Hooks to pass to the bridge. */
  readonly observer: BridgeObserver;
  /** This server's own metrics (the process metrics are added when rendering). */
  readonly registry: Registry;
  /** The Content-Type of {@link NodeMetrics.render}'s output. */
  readonly contentType: string;
  /** The Prometheus text exposition of this server's and the process's metrics. */
  render(): Promise<string>;
}

let processRegistry: Registry | undefined;

/**
 * Process metrics (CPU, memory, event loop lag, GC, handles) are per process: collected once into
 * their own registry, since each collection installs observers that are never removed.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    // Unprefixed: `process_cpu_seconds_total` & co. are the names standard dashboards expect.
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * Keep label values to a known set: upstreams pick their own stop reasons and error codes, and
 * every distinct label value is a new time series.
 */
function toBoundedLabel(value: string, known: ReadonlySet<string>): string {
  return known.has(value) ? value : OTHER;
}

/** Create the metrics of one server. */
export function createNodeMetrics(): NodeMetrics {
  const registry = new Registry();
  const registers = [registry];
  const errorCodes = new Set(Object.keys(ERROR_TABLE));
  const outcomes = new Set([...STOP_REASONS, ...errorCodes]);
  const dialects = new Set<string>(DIALECT_NAMES);

  const connections = new Gauge({
    name: `${METRIC_PREFIX}connections`,
    help: 'Connected clients, by protocol',
    labelNames: ['protocol'],
    registers,
  });
  for (const protocol of PROTOCOLS) connections.set({ protocol }, 0);
  const activeStreams = new Gauge({
    name: `${METRIC_PREFIX}streams_active`,
    help: 'Streams running on this instance (stop not yet sent)',
    registers,
  });
  /** Frames relayed since the last scrape: a plain number per frame, added at scrape time. */
  let relayedSinceScrape = 0;
  /** Frames relayed in all, for the lag sampling. */
  let relayed = 0;
  new Counter({
    name: `${METRIC_PREFIX}frames_relayed_total`,
    help: 'chat_response frames sent to clients (one per frame per receiving client)',
    registers,
    collect() {
      this.inc(relayedSinceScrape);
      relayedSinceScrape = 0;
    },
  });
  const upstreamErrors = new Counter({
    name: `${METRIC_PREFIX}upstream_errors_total`,
    help: 'Stream error frames, by error code',
    labelNames: ['code'],
    registers,
  });
  const unmapped = new Counter({
    name: `${METRIC_PREFIX}unmapped_events_total`,
    help: 'Upstream events the stream dialect could not map, sent by the legacy rules instead',
    labelNames: ['dialect'],
    registers,
  });
  const firstFrame = new Histogram({
    name: `${METRIC_PREFIX}first_frame_seconds`,
    help: 'Time from the upstream request to its first frame',
    buckets: DEFAULT_FIRST_FRAME_BUCKETS_S,
    registers,
  });
  const frameLag = new Histogram({
    name: `${METRIC_PREFIX}frame_lag_seconds`,
    help: `Time from receiving a frame from the upstream to sending it to a client (one frame in ${DEFAULT_LAG_SAMPLE_EVERY})`,
    buckets: DEFAULT_FRAME_LAG_BUCKETS_S,
    registers,
  });
  const resumes = new Counter({
    name: `${METRIC_PREFIX}resumes_total`,
    help: 'Successful chat_resume requests (idempotent retries included)',
    registers,
  });
  const slowClients = new Counter({
    name: `${METRIC_PREFIX}slow_clients_disconnected_total`,
    help: 'Clients disconnected for staying over the send high-water mark',
    registers,
  });
  const refused = new Counter({
    name: `${METRIC_PREFIX}handshakes_refused_total`,
    help: 'Refused connection attempts, by reason',
    labelNames: ['reason'],
    registers,
  });
  const finished = new Counter({
    name: `${METRIC_PREFIX}streams_finished_total`,
    help: 'Finished streams, by outcome (stop reason or error code)',
    labelNames: ['outcome'],
    registers,
  });

  const observer: BridgeObserver = {
    connectionOpened: (protocol) => connections.inc({ protocol }),
    connectionClosed: (protocol) => connections.dec({ protocol }),
    handshakeRefused: (reason) => refused.inc({ reason: toBoundedLabel(reason, errorCodes) }),
    streamStarted: () => activeStreams.inc(),
    streamFinished: ({ outcome }) => {
      activeStreams.dec();
      finished.inc({ outcome: toBoundedLabel(outcome, outcomes) });
    },
    firstFrame: (ms) => firstFrame.observe(ms / 1000),
    frameRelayed: (lagMs) => {
      relayedSinceScrape++;
      if (relayed++ % DEFAULT_LAG_SAMPLE_EVERY === 0) frameLag.observe(lagMs / 1000);
    },
    upstreamError: (code) => upstreamErrors.inc({ code: toBoundedLabel(code, errorCodes) }),
    unmappedEvent: (dialect) => unmapped.inc({ dialect: toBoundedLabel(dialect, dialects) }),
    resumed: () => resumes.inc(),
    slowClientDisconnected: () => slowClients.inc(),
  };

  const merged = Registry.merge([processMetrics(), registry]);
  return {
    observer,
    registry,
    contentType: merged.contentType,
    render: () => merged.metrics(),
  };
}

/** Call the hooks of every observer in turn (the metrics and an embedder's own). */
export function toFanOutObserver(...observers: BridgeObserver[]): BridgeObserver {
  const fanOut: Record<string, (...args: never[]) => void> = {};
  // silentObserver has every hook, so a hook added to the interface is fanned out too.
  for (const key of Object.keys(silentObserver) as Array<keyof BridgeObserver>) {
    fanOut[key] = (...args: never[]) => {
      for (const observer of observers) (observer[key] as (...a: never[]) => void)(...args);
    };
  }
  return fanOut as unknown as BridgeObserver;
}
