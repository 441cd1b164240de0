/**
 * The `sse2ws` package: the library (`createBridge`, attached to an application's servers), the
 * CLI's server (`startNodeServer`), and the types and errors an application's hooks use.
 */
export { type AttachedServer, createBridge, type SseBridge } from './library.ts';
export { CREATE_BRIDGE_UNSUPPORTED, type CreateBridgeOptions } from './library-options.ts';
export { type NodeBridgeServer, type NodeServerDeps, startNodeServer } from './server.ts';
export {
  BridgeError,
  OptionError,
  defaultOptions,
  type BridgeHooks,
  type BridgeOptions,
  type ClientInfo,
  type ClientMessage,
  type ConnectContext,
  type ConnectDecision,
  type ErrorCode,
  type Frame,
  type HookClient,
  type Logger,
  type OptionErrorCode,
  type PublishTarget,
  type Registry,
  type StreamContext,
  type StreamSummary,
  type UpstreamRequestChange,
  type UpstreamRequestContext,
} from '../core/index.ts';
