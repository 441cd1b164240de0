/**
 * Stream records in Redis: the atomic claim, ordered frame appends (stored and published in one
 * script), replays, the owner's lease, and the `upstream_lost` end of a stream whose owner died.
 */
import type { Redis } from 'ioredis';
import {
  BridgeError,
  conversationTopic,
  streamTopic,
  type ChatResponse,
  type ReplayResult,
  type StreamInfo,
} from '../../core/index.ts';
import { toStoreError } from './connection.ts';
import type { RedisKeys } from './keys.ts';
import {
  APPEND,
  AUDIENCE,
  CLAIM,
  LOST,
  READ,
  RELEASE,
  RENEW,
  runScript,
  type Script,
} from './scripts.ts';

/**
 * The smallest frame serialises to about 50 bytes, so the byte bound always trims first and this
 * count bound (XADD MAXLEN ~) only guards against a byte accounting error.
 */
export const DEFAULT_MIN_FRAME_BYTES = 48;
/**
 * Script arguments one APPEND call carries at most (a stream's frames are never split; a larger
 * stream goes alone): a turn of thousands of streams otherwise becomes one call whose arguments
 * ioredis spreads into a function call, which V8 refuses past about 100,000, and one long script
 * run that holds every other client of the Redis server.
 */
export const DEFAULT_MAX_APPEND_ARGS = 10_000;
/** Seqs never get near this; larger `after_seq` values (existence checks) are clamped to it. */
const MAX_SEQ = 2 ** 40;

/** What the store is built from. */
export interface RedisStreamStoreDeps {
  redis: Redis;
  keys: RedisKeys;
  /** This instance, as lease holder and as the origin of what it publishes. */
  instanceId: string;
  resumeBufferBytes: number;
  resumeRetentionMs: number;
  leaseTtlMs: number;
  /** Arguments of one APPEND call, at most (tests set it low); {@link DEFAULT_MAX_APPEND_ARGS}. */
  maxAppendArgs?: number;
}

/** Stream records in Redis. */
export interface RedisStreamStore {
  /** Create the record and take its lease; false when the id is taken. */
  claim(info: StreamInfo): Promise<boolean>;
  /**
   * Store and publish a frame, batched with the frames of this event-loop turn (every stream's).
   * A stream's outcome comes through its first frame's promise (rejected with `upstream_lost` when
   * the stream was ended elsewhere); its later frames of the turn resolve at once.
   */
  append(info: StreamInfo, frame: ChatResponse, json: string): Promise<void>;
  /** Frames after `afterSeq` (ending the stream first if its owner is lost). */
  read(requestId: string, afterSeq: number): Promise<ReplayResult>;
  /** End the stream with `upstream_lost` if its lease is gone (or `force`); 1 ended, 0 alive, -1 over. */
  loseIfOrphaned(requestId: string, force?: boolean): Promise<number>;
  /** Renew this instance's lease; false when the stream is no longer ours to run. */
  renew(requestId: string): Promise<boolean>;
  /** Let go of the lease. */
  release(requestId: string): Promise<void>;
  /** Streams of a conversation claimed within the record TTL (finished ones among them). */
  conversationStreams(conversationId: string): Promise<string[]>;
  /**
   * Sockets on other instances that would receive the stream: one per instance with direct
   * subscribers (only zero or not matters across instances) plus live conversation members.
   */
  audienceElsewhere(info: StreamInfo): Promise<number>;
}

/** What a frame joining a waiting batch gets: the batch reports through its first frame. */
const STORED_WITH_BATCH: Promise<void> = Promise.resolve();

/** The frames of one stream waiting for their APPEND call, and its outcome. */
interface AppendBatch {
  info: StreamInfo;
  /** Five script arguments per frame (see APPEND). */
  args: Array<string | number>;
  /** Settles with the batch's script call. */
  done: Promise<void>;
  settle(outcome: Promise<void>): void;
}

/** The publish payload of a message: the origin instance, a space, the topic message JSON. */
export const toPayload = (origin: string, messageJson: string): string =>
  `${origin} ${messageJson}`;

/** Create the stream store. */
export function createRedisStreamStore(deps: RedisStreamStoreDeps): RedisStreamStore {
  const { redis, keys, instanceId, leaseTtlMs, resumeRetentionMs } = deps;
  // Running records outlive a silent owner by the lease, then stay for the retention like any.
  const recordTtlMs = leaseTtlMs + resumeRetentionMs;
  const maxLen = Math.ceil(deps.resumeBufferBytes / DEFAULT_MIN_FRAME_BYTES) + 1;
  const maxAppendArgs = deps.maxAppendArgs ?? DEFAULT_MAX_APPEND_ARGS;
  const lostContent = JSON.stringify(new BridgeError('upstream_lost').toPayload());
  const call = async (s: Script, k: readonly string[], args: ReadonlyArray<string | number>) => {
    try {
      return await runScript(redis, s, k, args);
    } catch (error) {
      throw toStoreError(error);
    }
  };
  const loseArgs = (requestId: string): Array<string | number> => [
    requestId,
    lostContent,
    resumeRetentionMs,
    keys.channel(streamTopic(requestId)),
    keys.conversationChannelPrefix,
  ];

  /**
   * Frames waiting for the one APPEND call of this event-loop turn: the chunks handled in one turn
   * (one per stream, paced) are stored by one script call, sent from a `setImmediate` once the
   * turn's I/O has been handled (in calls of at most `maxAppendArgs` arguments). The calls that
   * read or change a stream's record (read, lose, renew, release) send the waiting frames first,
   * so Redis runs them in the order they were made (a stream's stop is stored before its lease is
   * released, a read sees what was appended before it).
   */
  const batches = new Map<string, AppendBatch>();
  let scheduled: NodeJS.Immediate | undefined;
  const appendAll = async (due: AppendBatch[]): Promise<number[]> => {
    const k: string[] = [];
    const args: Array<string | number> = [
      deps.resumeBufferBytes,
      recordTtlMs,
      resumeRetentionMs,
      maxLen,
    ];
    for (const { info, args: frameArgs } of due) {
      const streamKeys = keys.stream(info.requestId);
      k.push(streamKeys.meta, streamKeys.frames, streamKeys.lease);
      const conversation =
        info.conversationId === undefined
          ? ''
          : keys.channel(conversationTopic(info.conversationId));
      args.push(keys.channel(streamTopic(info.requestId)), conversation, frameArgs.length / 5);
      for (const arg of frameArgs) args.push(arg);
    }
    return (await call(APPEND, k, args)) as number[];
  };
  const outcomeOf = (result: number | undefined): Promise<void> => {
    if (result === 1) return STORED_WITH_BATCH;
    return Promise.reject(
      result === -1
        ? new BridgeError(
            'upstream_lost',
            'this instance lost its lease on the stream and another ended it',
          )
        : new BridgeError('store_unavailable', 'a frame of this stream could not be stored'),
    );
  };
  const flush = (): void => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    if (batches.size === 0) return;
    let group: AppendBatch[] = [];
    let groupArgs = 0;
    const send = (): void => {
      const due = group;
      const results = appendAll(due);
      due.forEach((batch, i) => batch.settle(results.then((r) => outcomeOf(r[i]))));
      group = [];
      groupArgs = 0;
    };
    for (const batch of batches.values()) {
      const size = batch.args.length + 3;
      if (group.length > 0 && groupArgs + size > maxAppendArgs) send();
      group.push(batch);
      groupArgs += size;
    }
    batches.clear();
    send();
  };

  return {
    async claim(info) {
      const k = keys.stream(info.requestId);
      const streams =
        info.conversationId === undefined
          ? keys.none
          : keys.conversation(info.conversationId).streams;
      const args = [
        instanceId,
        info.conversationId ?? '',
        recordTtlMs,
        leaseTtlMs,
        info.requestId,
        info.clientRequestId ?? info.requestId,
        info.owner ?? '',
        info.resumeTokenHash ?? '',
      ];
      return (await call(CLAIM, [k.meta, k.lease, streams], args)) === 1;
    },

    append(info, frame, json) {
      let batch = batches.get(info.requestId);
      const joined = batch !== undefined;
      if (!batch) {
        let settle: (outcome: Promise<void>) => void = () => {};
        const done = new Promise<void>((resolve) => {
          settle = resolve;
        });
        batch = { info, args: [], done, settle };
        batches.set(info.requestId, batch);
        scheduled ??= setImmediate(flush);
      }
      const key = JSON.stringify(info.requestId);
      const payload = toPayload(instanceId, `{"kind":"frame","key":${key},"frame":${json}}`);
      batch.args.push(
        frame.seq,
        json,
        Buffer.byteLength(json),
        frame.type === 'stop' ? '1' : '0',
        payload,
      );
      // The batch's outcome is reported once, through its first frame's promise.
      return joined ? STORED_WITH_BATCH : batch.done;
    },

    async read(requestId, afterSeq) {
      flush();
      const k = keys.stream(requestId);
      const after = Math.min(afterSeq, MAX_SEQ);
      const reply = (await call(
        READ,
        [k.meta, k.lease, k.frames],
        [after, ...loseArgs(requestId)],
      )) as Array<string | number>;
      if (reply[0] === 'unknown') return { status: 'unknown' };
      if (reply[0] === 'truncated') return { status: 'truncated', firstSeq: Number(reply[1]) };
      const [, state, conversation, clientRequestId, owner, tokenHash, ...texts] = reply;
      const frames = texts.map((text) => JSON.parse(String(text)) as ChatResponse);
      const orUndefined = (value: unknown) => (value === '' ? undefined : String(value));
      const info: StreamInfo = {
        requestId,
        conversationId: orUndefined(conversation),
        clientRequestId: orUndefined(clientRequestId),
        owner: orUndefined(owner),
        resumeTokenHash: orUndefined(tokenHash),
      };
      return { status: 'ok', frames, done: state === 'done', info };
    },

    async loseIfOrphaned(requestId, force = false) {
      flush();
      const k = keys.stream(requestId);
      const args = [...loseArgs(requestId), force ? '1' : '0'];
      return Number(await call(LOST, [k.meta, k.lease, k.frames], args));
    },

    async renew(requestId) {
      flush();
      const k = keys.stream(requestId);
      const args = [instanceId, leaseTtlMs, recordTtlMs];
      return (await call(RENEW, [k.meta, k.lease, k.frames], args)) === 1;
    },

    async release(requestId) {
      flush();
      await call(RELEASE, [keys.stream(requestId).lease], [instanceId]);
    },

    async conversationStreams(conversationId) {
      try {
        return await redis.smembers(keys.conversation(conversationId).streams);
      } catch (error) {
        throw toStoreError(error);
      }
    },

    async audienceElsewhere(info) {
      const members =
        info.conversationId === undefined
          ? keys.none
          : keys.conversation(info.conversationId).members;
      const subs = keys.stream(info.requestId).subs;
      return Number(await call(AUDIENCE, [subs, members], [instanceId]));
    },
  };
}
