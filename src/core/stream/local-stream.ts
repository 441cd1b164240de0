/**
 * A stream run by the local host: the {@link Stream} plus what its upstream relay reads and
 * calls. One object per running stream, with methods rather than closures: thousands run at once,
 * and each closure and context they kept was memory per stream.
 */
import type { BridgeOptions } from '../config/types.ts';
import { toBridgeError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import type { BridgeObserver } from '../internal/observer.ts';
import { type ChatResponse, type Frame, toStopFrame } from '../protocol/frame.ts';
import type { Registry, StreamInfo } from '../registry/registry.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { RelayInput, UpstreamRelay } from '../upstream/relay.ts';
import type { UpstreamMethod } from '../upstream/request-config.ts';
import { applyFrameHook } from './frame-hook.ts';
import type { BridgeHooks } from './hooks.ts';
import { Stream } from './stream.ts';
import { createStreamOutcome, type StreamOutcome } from './stream-outcome.ts';

/** What every stream of one host shares. */
export interface LocalStreamContext {
  options: BridgeOptions;
  client: UpstreamClient;
  registry: Registry;
  logger: Logger;
  observer: BridgeObserver;
  hooks: BridgeHooks | undefined;
}

/** A stream of the local host, and the input of its upstream relay. */
export class LocalStream extends Stream implements RelayInput {
  /** The relay's report, the logs' and metrics' account of the stream. */
  readonly report: StreamOutcome['report'];
  readonly outcome: StreamOutcome;
  url = '';
  method: UpstreamMethod = 'POST';
  body: string | undefined;
  headers: Record<string, string> = {};
  /** Its upstream request, once it went out. */
  relay: UpstreamRelay | undefined;
  #first = true;
  /** Made at the first registry write that returns a promise (a shared store), not before. */
  #onStoreError: ((error: unknown) => void) | undefined;

  constructor(
    info: StreamInfo,
    readonly context: LocalStreamContext,
  ) {
    super(info);
    const { logger, observer, hooks } = context;
    const startedAt = performance.now();
    this.outcome = createStreamOutcome({
      // What the application, the upstream and the logs see: the client's id, not the registry key.
      requestId: this.clientRequestId,
      info,
      startedAt,
      logger,
      observer,
      hooks,
    });
    this.report = this.outcome.report;
  }

  get client(): UpstreamClient {
    return this.context.client;
  }

  get timeouts(): BridgeOptions {
    return this.context.options;
  }

  get format(): BridgeOptions['upstreamFormat'] {
    return this.context.options.upstreamFormat;
  }

  /** An upstream frame: through the `onFrame` hook, counted, numbered. */
  emit(upstreamFrame: Frame): void {
    const { hooks, logger, observer } = this.context;
    const frame = applyFrameHook(hooks, logger, upstreamFrame, this.info);
    if (frame === undefined) return;
    if (this.#first) {
      this.#first = false;
      // Failures are counted by code; the histogram is the latency of real answers.
      if (frame.type !== 'error') observer.firstFrame(performance.now() - this.outcome.startedAt);
    }
    if (frame.type === 'error') this.outcome.failed(frame);
    this.push(frame);
  }

  /** The stream is claimed already: a request that cannot go out ends it with the reason. */
  fail(error: unknown): void {
    this.emit({ type: 'error', content: toBridgeError(error).toPayload() });
    this.emit(toStopFrame('error'));
  }

  protected override cancelled(): void {
    this.relay?.cancel();
  }

  protected override deliver(frame: ChatResponse): void {
    if (frame.type === 'stop') this.outcome.stopped(frame);
    const stored = this.context.registry.appendFrame(this.info, frame);
    if (stored) stored.catch((this.#onStoreError ??= (error) => this.storeFailed(error)));
  }

  storeFailed(error: unknown): void {
    this.context.logger.error(
      { requestId: this.clientRequestId, err: String(error) },
      'registry write failed',
    );
    // A shared store that lost a frame leaves every later frame unreadable to resumes and
    // other instances: end the stream with the reason rather than run on with a gap.
    if (this.state === 'running') {
      this.emit({ type: 'error', content: toBridgeError(error).toPayload() });
      this.cancel('error');
    }
  }
}
