/**
 * Caps that count what runs, not what is connected: a stream keeps its upstream call (paid, and a
 * socket) open after its client left, for the resume grace. A new stream is refused with
 * `too_many_streams` past any of: the connection's running streams, the instance's running streams
 * (orphaned ones included), or its owner's (the user's across connections and, on Redis,
 * instances; else the connection's), orphaned ones included.
 */
import { BridgeError } from '../internal/errors.ts';
import type { BridgeOptions } from '../config/types.ts';
import type { Registry } from '../registry/registry.ts';

/** What the caps read. */
export interface StreamCapsInput {
  options: BridgeOptions;
  registry: Registry;
  /** Streams this connection started that still run. */
  connectionStreams: number;
  /** Streams running on this instance (orphaned ones included), where the host counts them. */
  instanceStreams: number | undefined;
  /** The owner of the new stream (`stream-ownership.ts`). */
  owner: string;
}

/** The cap the new stream would break, as the refusal's message, or undefined within all. */
export async function exceededStreamCap(input: StreamCapsInput): Promise<string | undefined> {
  const { options, registry } = input;
  if (input.connectionStreams >= options.maxStreamsPerConnection) {
    return `at most ${options.maxStreamsPerConnection} running streams per connection`;
  }
  if (input.instanceStreams !== undefined && input.instanceStreams >= options.maxStreams) {
    return `at most ${options.maxStreams} running streams on this server; try again later`;
  }
  const ofOwner = await registry.runningStreamsOf?.(input.owner);
  if (ofOwner !== undefined && ofOwner >= options.maxStreamsPerUser) {
    return `at most ${options.maxStreamsPerUser} running streams per user`;
  }
  return undefined;
}

/** Refuse a new stream past a cap (an attach to a running one costs nothing and is let through). */
export async function assertStreamCaps(
  input: StreamCapsInput,
  isNew: () => Promise<boolean>,
): Promise<void> {
  const exceeded = await exceededStreamCap(input);
  if (exceeded !== undefined && (await isNew()))
    throw new BridgeError('too_many_streams', exceeded);
}
