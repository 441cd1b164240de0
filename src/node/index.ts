/**
 * The `sse2ws` package: the library (`createBridge`, attached to an application's servers), the
 * CLI's server (`startNodeServer`), and the types and errors an application's hooks use.
 */
export {
  type AttachedServer,
  createBridge,
  CREATE_BRIDGE_UNSUPPORTED,
  type CreateBridgeOptions,
  type SseBridge,
} from './library.ts';
export { type NodeBridgeServer, type NodeServerDeps, startNodeServer } from './server.ts';
export type {
  BridgeHooks,
  ClientMessage,
  ConnectContext,
  ConnectDecision,
  HookClient,
  StreamContext,
  StreamSummary,
  UpstreamRequestChange,
  UpstreamRequestContext,
} from '../core/hooks.ts';
export type { ClientInfo, PublishTarget } from '../core/admin-api.ts';
export { BridgeError, type ErrorCode } from '../core/errors.ts';
export type { Frame } from '../core/frame.ts';
export {
  type BridgeOptions,
  defaultOptions,
  OptionError,
  type OptionErrorCode,
} from '../core/options.ts';
export type { Registry } from '../core/registry.ts';
export type { Logger } from '../core/logger.ts';
