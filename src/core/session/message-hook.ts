/** The application's `onMessage` hook, applied to one client message. */
import { BridgeError } from '../internal/errors.ts';
import type { BridgeHooks, ClientMessage, HookClient } from '../stream/hooks.ts';

/**
 * The message `onMessage` lets through: the same, or its replacement. A refusal the hook throws
 * as a {@link BridgeError} goes to the client as is; anything else it throws becomes `bad_request`.
 */
export async function applyMessageHook(
  hooks: BridgeHooks | undefined,
  message: ClientMessage,
  client: HookClient,
): Promise<ClientMessage> {
  const hook = hooks?.onMessage;
  if (!hook) return message;
  let replaced: ClientMessage | void | undefined;
  try {
    replaced = await hook(message, client);
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    const reason = error instanceof Error ? error.message : 'the message was refused';
    throw new BridgeError('bad_request', reason, { cause: error });
  }
  return replaced ?? message;
}
