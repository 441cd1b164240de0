/**
 * The application's `onFrame` applied to one upstream frame: replace or drop it; a stop always
 * stays a stop.
 */
import type { Logger } from '../internal/logger.ts';
import type { Frame } from '../protocol/frame.ts';
import type { StreamInfo } from '../registry/registry.ts';
import { clientRequestIdOf } from '../registry/stream-ownership.ts';
import type { BridgeHooks } from './hooks.ts';

/** Logs a hook that threw; made once per stream and hook, never per frame. */
export const toHookErrorLogger =
  (logger: Logger, hook: string, requestId: string) =>
  (error: unknown): void =>
    logger.error({ requestId, hook, err: String(error) }, 'hook failed');

/**
 * The frame to send for `frame`, or undefined to drop it. Without an `onFrame` hook, the frame
 * itself; a hook that throws is logged and the frame goes out unchanged.
 */
export function applyFrameHook(
  hooks: BridgeHooks | undefined,
  logger: Logger,
  frame: Frame,
  info: StreamInfo,
): Frame | undefined {
  const onFrame = hooks?.onFrame;
  if (!onFrame) return frame;
  // A plain copy, without the upstream's JSON text (UpstreamJsonFrame): a hook may change the
  // frame in place and return nothing, and the old text must not go out then.
  const plain: Frame = { type: frame.type, content: frame.content };
  let changed: Frame | null | void | undefined;
  try {
    const requestId = clientRequestIdOf(info);
    changed = onFrame(plain, { requestId, conversationId: info.conversationId });
  } catch (error) {
    toHookErrorLogger(logger, 'onFrame', info.requestId)(error);
    return frame;
  }
  if (changed === undefined) return plain;
  if (frame.type === 'stop') return { type: 'stop', content: changed?.content ?? frame.content };
  return changed ?? undefined;
}
