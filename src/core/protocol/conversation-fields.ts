/**
 * The chat_message fields that name a conversation: part of the wire contract the bridge and the
 * client SDK share (src/client imports this file, which therefore imports nothing).
 */

/**
 * Field names accepted for a conversation id, first match wins, under every profile: the seed
 * systems use all of them (`conversationId` is what socket-module clients send).
 */
export const CONVERSATION_ID_FIELDS = [
  'conversation_id',
  'conversationId',
  'consultationId',
  'sessionId',
] as const;
