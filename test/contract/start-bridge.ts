import type { BridgeOptions } from '../../src/core/config/types.ts';

/** How a behaviour suite starts a bridge on its runtime: pointed at an upstream, with overrides. */
export type StartBridge = (
  upstreamUrl: string,
  overrides?: Partial<BridgeOptions>,
) => Promise<{ url: string }>;
