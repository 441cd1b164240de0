/**
 * The Worker-side {@link Registry}: every call goes to the Durable Object that owns the topic, so
 * a client that reconnects through any isolate finds its stream, and conversation members meet in
 * one place. Frames are written by the stream objects themselves, never from here.
 */
import type { Presence, Registry, ReplayResult, TopicMessage } from '../core/index.ts';
import type { Env } from './env.ts';
import { callObject, conversationObject, openObjectSocket, streamObject } from './object-api.ts';
import { WS_CLOSE } from '../core/index.ts';

const q = encodeURIComponent;

/** The stub and id of a topic name (`stream:<id>` or `conversation:<id>`). */
function topicObject(env: Env, topic: string): { stub: DurableObjectStub; id: string } {
  const colon = topic.indexOf(':');
  const kind = topic.slice(0, colon);
  const id = topic.slice(colon + 1);
  return { stub: kind === 'stream' ? streamObject(env, id) : conversationObject(env, id), id };
}

const notHere = (what: string) => async (): Promise<never> => {
  throw new Error(`${what} runs inside the stream's Durable Object`);
};

/** A registry whose state lives in Durable Objects. */
export function createObjectRegistry(env: Env): Registry {
  return {
    async claimStream(info) {
      const stub = streamObject(env, info.requestId);
      const answer = await callObject<{ claimed: boolean }>(
        stub,
        `/claim?id=${q(info.requestId)}`,
        info,
      );
      return answer.claimed;
    },
    appendFrame: notHere('appendFrame'),
    finishStream: notHere('finishStream'),
    readFrames(requestId, afterSeq) {
      const stub = streamObject(env, requestId);
      return callObject<ReplayResult>(stub, `/frames?id=${q(requestId)}&after=${afterSeq}`);
    },
    async subscribe(topic, listener) {
      const { stub, id } = topicObject(env, topic);
      const socket = await openObjectSocket(stub, `/subscribe?id=${q(id)}`);
      socket.addEventListener('message', (event) => {
        listener(JSON.parse(String(event.data)) as TopicMessage);
      });
      return async () => {
        socket.close(WS_CLOSE.normal, 'unsubscribe');
      };
    },
    async publish(topic, message) {
      const { stub, id } = topicObject(env, topic);
      await callObject(stub, `/publish?id=${q(id)}`, message);
    },
    joinConversation(conversationId, sessionId, userId) {
      const stub = conversationObject(env, conversationId);
      return callObject<Presence>(stub, `/join?id=${q(conversationId)}`, { sessionId, userId });
    },
    leaveConversation(conversationId, sessionId) {
      const stub = conversationObject(env, conversationId);
      return callObject<Presence>(stub, `/leave?id=${q(conversationId)}`, { sessionId });
    },
    audience: notHere('audience'),
    async close() {},
  };
}
