/** The built-in profiles, as data: the same shape a config file's `profiles` entry has. */
import type { Emit, Profile } from './types.ts';

/**
 * What a failed or cancelled answer ends with under the built-in vocabularies: their error event
 * only, never their success markers (a cancel has no error frame, so it gets one here).
 */
const CANCELLED_ERROR: Emit = {
  event: 'error',
  data: { code: 'cancelled', message: 'The answer was cancelled.' },
};

/** The core vocabulary unchanged: chat_message in, chat_response out. */
export const DEFAULT_PROFILE: Profile = {
  name: 'default',
  namespace: '/',
  inbound: {},
  outbound: {},
};

/** Frontends built on a "socket module": chat_request in; chat_stream deltas and a notification out. */
export const SOCKET_MODULE_PROFILE: Profile = {
  name: 'socket-module',
  namespace: '/',
  inbound: { chat_request: { event: 'chat_message' } },
  outbound: {
    frames: {
      text: [
        { event: 'chat_stream', data: { text: '$data.content.data', index: '$answer.index' } },
      ],
      tool_call: [{ event: 'tool_call', data: '$data.content' }],
      tool_result: [{ event: 'tool_result', data: '$data.content' }],
      error: [
        {
          event: 'error',
          data: { code: '$data.content.code', message: '$data.content.message' },
        },
      ],
      'stop:error': [],
      'stop:cancelled': [CANCELLED_ERROR],
      stop: [
        {
          event: 'chat_stream_end',
          data: { conversationId: '$answer.conversationId', messageId: '$answer.requestId' },
        },
        {
          event: 'notification',
          data: {
            type: 'chat_complete',
            title: 'Answer ready',
            message: 'The assistant finished answering.',
            conversationId: '$answer.conversationId',
            messageId: '$answer.requestId',
          },
        },
      ],
    },
  },
};

/** Consultation rooms: Socket.IO namespace /chat, camelCase events, one room per consultation. */
export const CONSULTATION_PROFILE: Profile = {
  name: 'consultation',
  namespace: '/chat',
  inbound: {
    // consultationId is a conversation id alias the core accepts: the data passes unchanged.
    joinConsultation: { event: 'join' },
    leaveConsultation: { event: 'leave' },
    sendMessage: { event: 'chat_message' },
    refreshToken: { event: 'refresh' },
  },
  outbound: {
    start: [{ event: 'aiThinking', data: { status: 'processing' } }],
    frames: {
      text: [{ event: 'aiChunk', data: { content: '$data.content.data', isComplete: false } }],
      error: [
        {
          event: 'error',
          data: { message: '$data.content.message', code: '$data.content.code' },
        },
      ],
      'stop:error': [],
      'stop:cancelled': [
        { event: 'error', data: { message: 'The answer was cancelled.', code: 'cancelled' } },
      ],
      stop: [
        { event: 'aiChunk', data: { content: '', isComplete: true } },
        { event: 'aiMessage', data: { content: '$answer.text', timestamp: '$now' } },
      ],
    },
    events: {
      user_message: [
        {
          event: 'userMessage',
          data: { content: '$data.data.content', userId: '$data.data.userId', timestamp: '$now' },
        },
      ],
      error: [{ event: 'error', data: { message: '$data.message', code: '$data.code' } }],
      token_expiring: [{ event: 'tokenExpiring', data: { expiresAt: '$data.expires_at' } }],
    },
  },
};

/** Built-in profiles by name. */
export const BUILTIN_PROFILES: Readonly<Record<string, Profile>> = {
  default: DEFAULT_PROFILE,
  'socket-module': SOCKET_MODULE_PROFILE,
  consultation: CONSULTATION_PROFILE,
};
