/**
 * The default, single-process {@link Registry}: frames in bounded arrays, topics as listener sets.
 */
import { utf8Length } from '../internal/bytes.ts';
import { type ChatResponse, LocalFrame } from '../protocol/frame.ts';
import {
  conversationTopic,
  type Presence,
  type Registry,
  type ReplayResult,
  type StreamInfo,
  streamTopic,
  type TopicMessage,
} from './registry.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';

/** Limits of the in-memory registry. */
export interface MemoryRegistryOptions {
  /** Bytes of frames kept per stream; the oldest go first. */
  resumeBufferBytes: number;
  /** How long a finished stream stays resumable. */
  resumeRetentionMs: number;
}

type Listener = (message: TopicMessage) => void;

interface Topic {
  listeners: Set<Listener>;
  /** The listeners as an array, made at the first delivery after a change. */
  snapshot: Listener[] | undefined;
}

interface StreamRecord {
  info: StreamInfo;
  /**
   * Its topics, made once: a topic string built per frame was hashed anew by every Map lookup.
   */
  topic: string;
  conversationTopic: string | undefined;
  /**
   * The frames kept for resume, as their texts (`LocalFrame.jsonOf`'s bytes): a frame object, its
   * parsed content and its numbers cost several times the text, and a replay, which is rare,
   * parses them back. Held frames are `texts[head..]`; dropped ones stay in front until the next
   * compaction. Seqs are consecutive, so `texts[i]` is the frame of seq `firstSeq + i`.
   */
  texts: string[];
  /** Per frame, when it was numbered (`LocalFrame.numberedAtOf`; the lag metric of a replay). */
  numberedAt: number[];
  /** Per frame, its UTF-8 size; negative when its text is not `JSON.stringify(frame)`. */
  sizes: number[];
  firstSeq: number;
  head: number;
  bytes: number;
  done: boolean;
  expiry?: Timer;
}

/** Dropped frames are compacted away once this many have accumulated (and outnumber the held). */
export const DEFAULT_COMPACT_AFTER = 1_024;

/** Statistics for tests and metrics. */
export interface MemoryRegistryStats {
  streams: number;
  bufferedBytes(requestId: string): number | undefined;
}

/** Create the in-memory registry. */
export function createMemoryRegistry(options: MemoryRegistryOptions): Registry & {
  stats: MemoryRegistryStats;
} {
  const streams = new Map<string, StreamRecord>();
  const topics = new Map<string, Topic>();
  const conversations = new Map<string, Map<string, string | undefined>>();
  /** Running streams by owner, for the per-user stream cap. */
  const byOwner = new Map<string, Set<string>>();
  const release = (record: StreamRecord): void => {
    const { owner, requestId } = record.info;
    const running = owner === undefined ? undefined : byOwner.get(owner);
    running?.delete(requestId);
    if (running?.size === 0) byOwner.delete(owner as string);
  };
  const presenceOf = (members: Map<string, string | undefined> | undefined): Presence => {
    if (!members) return { clients: 0, users: [] };
    const users = new Set<string>();
    for (const user of members.values()) if (user !== undefined) users.add(user);
    return { clients: members.size, users: [...users].sort() };
  };

  const deliver = (topic: string, message: TopicMessage): void => {
    const entry = topics.get(topic);
    if (!entry) return;
    // A snapshot, so listeners (un)subscribing meanwhile do not change this delivery; rebuilt only
    // when the set changed, not copied per frame.
    entry.snapshot ??= [...entry.listeners];
    for (const listener of entry.snapshot) listener(message);
  };

  return {
    async claimStream(info) {
      if (streams.has(info.requestId)) return false;
      streams.set(info.requestId, {
        info,
        topic: streamTopic(info.requestId),
        conversationTopic:
          info.conversationId === undefined ? undefined : conversationTopic(info.conversationId),
        texts: [],
        numberedAt: [],
        sizes: [],
        firstSeq: 0,
        head: 0,
        bytes: 0,
        done: false,
      });
      if (info.owner !== undefined) {
        let running = byOwner.get(info.owner);
        if (!running) byOwner.set(info.owner, (running = new Set()));
        running.add(info.requestId);
      }
      return true;
    },

    appendFrame(info, frame) {
      const record = streams.get(info.requestId);
      if (record && !record.done) {
        const text = LocalFrame.jsonOf(frame);
        const size = utf8Length(text);
        if (record.texts.length === 0) record.firstSeq = frame.seq;
        record.texts.push(text);
        record.numberedAt.push(LocalFrame.numberedAtOf(frame));
        record.sizes.push(LocalFrame.hasCanonicalJson(frame) ? size : -size);
        record.bytes += size;
        // Keep at least the newest frame, so a resume can still learn the first seq held.
        while (record.bytes > options.resumeBufferBytes && record.head < record.texts.length - 1) {
          record.bytes -= Math.abs(record.sizes[record.head] as number);
          record.head++;
        }
        // Dropping by moving a head index is O(1) per frame; splicing a full buffer was O(n) and
        // took a third of the bridge's CPU at saturation. Compact once the dead part dominates.
        if (record.head > DEFAULT_COMPACT_AFTER && record.head * 2 > record.texts.length) {
          record.texts = record.texts.slice(record.head);
          record.numberedAt = record.numberedAt.slice(record.head);
          record.sizes = record.sizes.slice(record.head);
          record.firstSeq += record.head;
          record.head = 0;
        }
      }
      const message: TopicMessage = { kind: 'frame', frame, key: info.requestId };
      deliver(record?.topic ?? streamTopic(info.requestId), message);
      if (info.conversationId !== undefined) {
        deliver(record?.conversationTopic ?? conversationTopic(info.conversationId), message);
      }
    },

    async finishStream(requestId) {
      const record = streams.get(requestId);
      if (!record || record.done) return;
      record.done = true;
      release(record);
      record.expiry = setTimeout(() => streams.delete(requestId), options.resumeRetentionMs);
    },

    async readFrames(requestId, afterSeq): Promise<ReplayResult> {
      const record = streams.get(requestId);
      if (!record) return { status: 'unknown' };
      const { texts, numberedAt, sizes, head } = record;
      const firstHeld = record.firstSeq + head;
      if (head < texts.length && firstHeld > afterSeq + 1) {
        return { status: 'truncated', firstSeq: firstHeld };
      }
      // Seqs are consecutive from the head: the replay starts at a computed index.
      const frames: ChatResponse[] = [];
      for (let i = head + Math.max(0, afterSeq + 1 - firstHeld); i < texts.length; i++) {
        frames.push(
          LocalFrame.fromJson(
            texts[i] as string,
            numberedAt[i] as number,
            (sizes[i] as number) > 0,
          ),
        );
      }
      return { status: 'ok', frames, done: record.done, info: record.info };
    },

    async subscribe(topic, listener) {
      let entry = topics.get(topic);
      if (!entry) {
        entry = { listeners: new Set(), snapshot: undefined };
        topics.set(topic, entry);
      }
      entry.listeners.add(listener);
      entry.snapshot = undefined;
      return async () => {
        const current = topics.get(topic);
        if (!current?.listeners.delete(listener)) return;
        current.snapshot = undefined;
        if (current.listeners.size === 0) topics.delete(topic);
      };
    },

    async publish(topic, message) {
      deliver(topic, message);
    },

    async joinConversation(conversationId, sessionId, userId) {
      let members = conversations.get(conversationId);
      if (!members) {
        members = new Map();
        conversations.set(conversationId, members);
      }
      members.set(sessionId, userId);
      return presenceOf(members);
    },

    async leaveConversation(conversationId, sessionId) {
      const members = conversations.get(conversationId);
      members?.delete(sessionId);
      if (members?.size === 0) conversations.delete(conversationId);
      return presenceOf(conversations.get(conversationId));
    },

    async audience(info) {
      const direct = topics.get(streamTopic(info.requestId))?.listeners.size ?? 0;
      const members =
        info.conversationId === undefined ? 0 : (conversations.get(info.conversationId)?.size ?? 0);
      return direct + members;
    },

    async runningStreamsOf(owner) {
      return byOwner.get(owner)?.size ?? 0;
    },

    async close() {
      for (const record of streams.values()) cancelTimer(record.expiry);
      streams.clear();
      byOwner.clear();
      topics.clear();
      conversations.clear();
    },

    stats: {
      get streams() {
        return streams.size;
      },
      bufferedBytes: (requestId) => streams.get(requestId)?.bytes,
    },
  };
}
