/**
 * The upstream request of one stream as the relay sends it: shaped from the chat_message (or the
 * message as it came), with the bridge's headers, then changed by the application's
 * `onUpstreamRequest`.
 */
import type { StreamInfo } from '../registry/registry.ts';
import type { BridgeConfig } from '../upstream/request-config.ts';
import { type ShapedRequest, toUpstreamRequest } from '../upstream/request-shape.ts';
import type { BridgeHooks } from './hooks.ts';

/** One stream's upstream request, headers included. */
export interface StreamRequest {
  request: ShapedRequest;
  headers: Record<string, string>;
}

/**
 * The request for a chat_message `body` (JSON text). Without request shaping the text goes out as
 * it came, unparsed.
 * @throws BridgeError `bad_request` when the templates cannot be filled from the message.
 */
export function toStreamRequest(
  config: BridgeConfig | undefined,
  upstreamUrl: string,
  body: string,
  clientHeaders: Record<string, string>,
  requestId: string,
): StreamRequest {
  const request: ShapedRequest =
    config?.request === undefined
      ? { url: upstreamUrl, method: 'POST', body }
      : toUpstreamRequest(
          config,
          upstreamUrl,
          JSON.parse(body) as Record<string, unknown>,
          requestId,
        );
  const headers: Record<string, string> = {
    ...clientHeaders,
    ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    accept: 'text/event-stream',
    'x-request-id': requestId,
  };
  return { request, headers };
}

/**
 * Run the application's `onUpstreamRequest` on a stream's request: its headers are merged over the
 * request's, its body replaces the body. The hook sees the headers object the relay will send.
 * @throws whatever the hook throws.
 */
export async function applyUpstreamRequestHook(
  onUpstreamRequest: NonNullable<BridgeHooks['onUpstreamRequest']>,
  { request, headers }: StreamRequest,
  requestId: string,
  info: StreamInfo,
): Promise<StreamRequest> {
  const change = await onUpstreamRequest({
    requestId,
    conversationId: info.conversationId,
    url: request.url,
    method: request.method,
    headers,
    body: request.body,
  });
  return {
    request: change?.body !== undefined ? { ...request, body: change.body } : request,
    headers: change?.headers ? { ...headers, ...change.headers } : headers,
  };
}
