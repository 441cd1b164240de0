/**
 * The core's one public entry: everything the runtime adapters (src/node, src/workers) use.
 * Adapters import only this file; a dependency rule checks it.
 */
export { createConversationAccess } from './auth/conversation-access.ts';
export { createJwtCheck } from './auth/credentials.ts';
export { type Bridge, createLocalBridge } from './bridge.ts';
export { createSessionOpener, type SessionOpener } from './session/opener.ts';
export { OptionError, type OptionErrorCode } from './config/option-error.ts';
export { defaultOptions, type GivenOptionText, toResolvedOptions } from './config/resolve.ts';
export { OPTION_SPECS, type OptionSpec } from './config/spec.ts';
export {
  type BridgeOptions,
  type EnvSource,
  type LogFormat,
  type LogLevel,
  OPTION_GROUPS,
  type OptionGroup,
} from './config/types.ts';
export { isSwitch, toDefaultText, toFlagUsage } from './config/usage.ts';
export {
  type OptionRules,
  refuseUnsupportedEnv,
  toValidatedOptions,
  type UnsupportedOptions,
} from './config/validate.ts';
export {
  type ClientInfo,
  listClients,
  mountAdminApi,
  publishEvent,
  type PublishTarget,
  toPublishRequest,
} from './http/admin-api.ts';
export { type Admission, createAdmission } from './http/admission.ts';
export { createHttpApp, DEFAULT_WS_PATH, SOCKET_IO_PATH, toHeaderRecord } from './http/app.ts';
export { handleDemoChat } from './http/demo-backend.ts';
export { isLoopbackBind, toExposureWarning } from './http/hosts.ts';
export {
  createReadiness,
  createUpstreamCheck,
  DEFAULT_READINESS_TIMEOUT_MS,
  type ProbeFetch,
  type Readiness,
  type ReadinessCheck,
  toReadinessResponse,
} from './http/readiness.ts';
export {
  BridgeError,
  ERROR_TABLE,
  type ErrorCode,
  type ErrorPayload,
  WS_CLOSE,
} from './internal/errors.ts';
export { type Logger, silentLogger } from './internal/logger.ts';
export { type BridgeObserver, silentObserver } from './internal/observer.ts';
export { withTimestamp } from './internal/timestamp.ts';
export { type ChatResponse, type Frame, LocalFrame } from './protocol/frame.ts';
export type { Handshake } from './protocol/handshake.ts';
export { createMemoryRegistry } from './registry/memory.ts';
export {
  conversationTopic,
  type Presence,
  type Registry,
  type ReplayResult,
  type StreamInfo,
  streamTopic,
  type TopicMessage,
} from './registry/registry.ts';
export { ownerOfStreamKey } from './registry/stream-ownership.ts';
export { resolveProfile } from './session/profiles/resolve.ts';
export type {
  ClientConnection,
  ClientProtocol,
  Reply,
  Session,
  SessionHost,
  StreamHost,
} from './session/session.ts';
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
} from './stream/hooks.ts';
export { createLocalStreamHost, type LocalStreamHost } from './stream/host.ts';
export { acceptSocketIo } from './transport/socketio.ts';
export { toSocketIoEventText } from './transport/socketio-packet.ts';
export { WsClient, type WsSocketOps } from './transport/ws.ts';
export {
  createFetchUpstream,
  toConnectError,
  type UpstreamClient,
  type UpstreamRequest,
  type UpstreamResponse,
} from './upstream/client.ts';
export type { BodySink, PushBody } from './upstream/push-body.ts';
export { DIALECT_NAMES } from './upstream/dialects/index.ts';
export {
  type BridgeConfig,
  ConfigError,
  parseBridgeConfigText,
} from './upstream/request-config.ts';
export { toSocketIoAnswer } from './transport/reply.ts';
export {
  type AdmittedClient,
  type Answer,
  type ClientPort,
  receiveFromClient,
} from './transport/client-port.ts';
export { type ClientEntry, createClientEntry } from './http/entry.ts';
export { createLifecycle, type Lifecycle } from './internal/lifecycle.ts';
