/**
 * Upstream request shaping, from the config file's `request` section: the method, a path and a
 * query filled from the chat_message, and a JSON body template. A template can never change the
 * upstream's scheme, host or port: that is checked when the config is read, and the origin of
 * every URL built is checked again before the request goes out.
 */
import { BridgeError } from '../internal/errors.ts';
import { isObject } from '../internal/json.ts';
import { OptionError } from '../config/options.ts';

/** The upstream request methods: GET for subscribe-style SSE endpoints (nginx nchan), else POST. */
export type UpstreamMethod = 'GET' | 'POST';

/** The `request` section of the config file, validated. */
export interface RequestShape {
  /** @default "POST" */
  method: UpstreamMethod;
  /** Appended to the upstream URL's path; `{name}` placeholders are filled URL-encoded. */
  path?: string;
  /** Query parameters added to the upstream URL; values are templates like the path. */
  query?: Record<string, string>;
  /** A JSON template for the body; without one the body is the chat_message data unchanged. */
  body?: unknown;
}

/** The config file (`--config` / `SSE2WS_CONFIG`), validated. */
export interface BridgeConfig {
  request?: RequestShape;
  /** Custom client profiles; read and checked by the profiles module, passed through here. */
  profiles?: Record<string, unknown>;
}

/** One upstream request as shaped from a chat_message. */
export interface ShapedRequest {
  url: string;
  method: UpstreamMethod;
  /** JSON text; absent for GET. */
  body?: string;
}

/** A config that cannot be used; the message names the source, the field and the problem. */
export class ConfigError extends OptionError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const PLACEHOLDERS = new RegExp(`\\{(${NAME})\\}`, 'g');
const WHOLE_PLACEHOLDER = new RegExp(`^\\{(${NAME})\\}$`);
const CONFIG_KEYS = new Set(['request', 'profiles']);
const REQUEST_KEYS = new Set(['method', 'path', 'query', 'body']);

/**
 * Validate a parsed config. `source` names where it came from (`config /etc/sse2ws.json`).
 * @throws ConfigError naming the source and the field.
 */
export function parseBridgeConfig(value: unknown, source: string): BridgeConfig {
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(`${source}: ${field}: ${problem}`);
  };
  if (!isObject(value)) return fail('(top level)', 'must be a JSON object');
  for (const key of Object.keys(value)) {
    if (!CONFIG_KEYS.has(key)) fail(key, `unknown key (expected ${[...CONFIG_KEYS].join(', ')})`);
  }
  const config: BridgeConfig = {};
  if (value.profiles !== undefined) {
    if (!isObject(value.profiles)) fail('profiles', 'must be an object');
    config.profiles = value.profiles as Record<string, unknown>;
  }
  if (value.request !== undefined) config.request = parseRequestShape(value.request, fail);
  return config;
}

/** Parse config JSON text (the file's content, or `SSE2WS_CONFIG` on Workers) and validate it. */
export function parseBridgeConfigText(text: string, source: string): BridgeConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return parseBridgeConfig(value, source);
}

function parseRequestShape(
  raw: unknown,
  fail: (field: string, problem: string) => never,
): RequestShape {
  if (!isObject(raw)) return fail('request', 'must be an object');
  for (const key of Object.keys(raw)) {
    if (!REQUEST_KEYS.has(key))
      fail(`request.${key}`, 'unknown key (expected method, path, query, body)');
  }
  const method = raw.method ?? 'POST';
  if (method !== 'GET' && method !== 'POST') {
    fail('request.method', `must be "GET" or "POST" (got ${JSON.stringify(method)})`);
  }
  const shape: RequestShape = { method: method as UpstreamMethod };
  if (raw.path !== undefined) {
    const problem = toPathProblem(raw.path);
    if (problem !== undefined) fail('request.path', problem);
    shape.path = raw.path as string;
  }
  if (raw.query !== undefined) {
    if (!isObject(raw.query)) fail('request.query', 'must be an object of name -> template');
    for (const [name, template] of Object.entries(raw.query as object)) {
      if (name === '') fail('request.query', 'a parameter name must not be empty');
      if (typeof template !== 'string') fail(`request.query.${name}`, 'must be a string');
    }
    shape.query = { ...(raw.query as Record<string, string>) };
  }
  if (raw.body !== undefined) {
    if (shape.method === 'GET') fail('request.body', 'a GET request has no body');
    shape.body = raw.body;
  }
  return shape;
}

/** Why a path template could reach outside the upstream's path, or undefined if it cannot. */
function toPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return 'must be a string';
  const got = `(got ${JSON.stringify(path)})`;
  // A leading "/" also rules out "host:port", "//host" style and a placeholder before it.
  if (!path.startsWith('/')) return `must start with "/" ${got}`;
  if (path.includes('//')) return `must not contain "//" ${got}`;
  if (path.includes('\\')) return `must not contain "\\" ${got}`;
  if (path.includes('@')) return `must not contain "@" ${got}`;
  if (/[?#]/.test(path)) return `must not contain "?" or "#" (use request.query) ${got}`;
  if (/\s/.test(path) || [...path].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f')) {
    return `must not contain whitespace or control characters ${got}`;
  }
  const literal = path.replace(PLACEHOLDERS, 'x');
  if (/[{}]/.test(literal)) return `"{" and "}" only around a placeholder name ${got}`;
  if (path.split('/').some(isDotSegment)) return `must not contain "." or ".." segments ${got}`;
  return undefined;
}

/** The URL parser also resolves "%2e" forms of dot segments. */
const isDotSegment = (segment: string): boolean => {
  const s = segment.replace(/%2e/gi, '.');
  return s === '.' || s === '..';
};

/**
 * Build the upstream request for one chat_message. Placeholders: `{request_id}` (the stream's id),
 * `{openai_messages}` (see {@link toOpenAiMessages}) and any top-level field of `data`.
 * @throws BridgeError `bad_request` when the message lacks what the templates need, or the URL
 *   would leave the configured upstream.
 */
export function toUpstreamRequest(
  config: BridgeConfig | undefined,
  upstreamUrl: string,
  data: Record<string, unknown>,
  requestId: string,
): ShapedRequest {
  const shape = config?.request;
  const method = shape?.method ?? 'POST';
  const lookup = (name: string): unknown => {
    if (name === 'request_id') return requestId;
    if (name === 'openai_messages') return toOpenAiMessages(data);
    return Object.hasOwn(data, name) ? data[name] : undefined;
  };
  const url = toUpstreamUrl(shape, upstreamUrl, lookup);
  if (method === 'GET') return { url, method };
  const body = shape?.body === undefined ? data : (fillJson(shape.body, lookup) ?? null);
  try {
    return { url, method, body: JSON.stringify(body) };
  } catch {
    throw new BridgeError(
      'bad_request',
      'the upstream body cannot be serialised (too deeply nested)',
    );
  }
}

function toUpstreamUrl(
  shape: RequestShape | undefined,
  upstreamUrl: string,
  lookup: (name: string) => unknown,
): string {
  if (shape?.path === undefined && shape?.query === undefined) return upstreamUrl;
  const base = new URL(upstreamUrl);
  const url = new URL(base.href);
  const basePath = base.pathname.replace(/\/$/, '');
  if (shape.path !== undefined) {
    url.pathname =
      basePath +
      shape.path.replace(PLACEHOLDERS, (_, name: string) => {
        const value = toUrlText(lookup(name), `request.path {${name}}`);
        if (value === undefined || value === '')
          throw badValue(`request.path {${name}}`, `chat_message has no non-empty "${name}"`);
        if (isDotSegment(value))
          throw badValue(`request.path {${name}}`, 'a path value must not be "." or ".."');
        return encodeURIComponent(value);
      });
  }
  for (const [name, template] of Object.entries(shape.query ?? {})) {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    const field = `request.query.${name}`;
    // A parameter that is only a placeholder is left out when the message lacks the value.
    if (whole && toUrlText(lookup(whole[1] as string), field) === undefined) continue;
    const value = template.replace(
      PLACEHOLDERS,
      (_, key: string) => toUrlText(lookup(key), field) ?? '',
    );
    url.searchParams.append(name, value);
  }
  // Defence in depth: whatever the templates did, the request stays on the configured upstream.
  if (url.origin !== base.origin || !url.pathname.startsWith(basePath)) {
    throw new BridgeError('bad_request', 'the shaped upstream URL leaves the configured upstream');
  }
  return url.href;
}

const badValue = (field: string, problem: string): BridgeError =>
  new BridgeError('bad_request', `${field}: ${problem}`);

function toUrlText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw badValue(field, 'a URL value must be a string, number or boolean');
}

/**
 * Fill a JSON template: a string that is exactly one placeholder becomes the value with its JSON
 * type (a missing one drops the object key, or is null in an array); placeholders inside a longer
 * string are replaced by the value as text (objects as JSON, missing ones as "").
 */
export function fillJson(template: unknown, lookup: (name: string) => unknown): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    if (whole) return lookup(whole[1] as string);
    return template.replace(PLACEHOLDERS, (_, name: string) => toBodyText(lookup(name)));
  }
  if (Array.isArray(template)) return template.map((item) => fillJson(item, lookup) ?? null);
  if (isObject(template)) {
    // fromEntries defines own properties: a "__proto__" key stays a plain key.
    return Object.fromEntries(
      Object.entries(template)
        .map(([key, item]) => [key, fillJson(item, lookup)] as const)
        .filter(([, item]) => item !== undefined),
    );
  }
  return template;
}

const toBodyText = (value: unknown): string =>
  value === undefined || value === null
    ? ''
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);

/** One OpenAI chat message. */
export interface OpenAiMessage {
  role: string;
  content: unknown;
}

/**
 * The OpenAI `messages` for a chat_message: its `history` then `{role: "user", content:
 * current_text}`. `history` may be absent, an array of `{role, content}` objects (other keys are
 * dropped), or an array of `[user, assistant]` pairs (Gradio style; a null or "" side is skipped).
 * @throws BridgeError `bad_request` for any other shape, or a `current_text` that is not a string.
 */
export function toOpenAiMessages(data: Record<string, unknown>): OpenAiMessage[] {
  const { history, current_text: text } = data;
  if (typeof text !== 'string')
    throw badValue('{openai_messages}', 'chat_message current_text is not a string');
  if (history !== undefined && history !== null && !Array.isArray(history)) {
    throw badValue('{openai_messages}', 'chat_message history is not an array');
  }
  const messages: OpenAiMessage[] = [];
  const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
  for (const [i, item] of (history ?? []).entries()) {
    if (Array.isArray(item) && item.length === 2) {
      if (present(item[0])) messages.push({ role: 'user', content: item[0] });
      if (present(item[1])) messages.push({ role: 'assistant', content: item[1] });
    } else if (isObject(item) && typeof item.role === 'string' && item.content !== undefined) {
      messages.push({ role: item.role, content: item.content });
    } else {
      throw badValue(
        '{openai_messages}',
        `history[${i}] is neither a {role, content} object nor a [user, assistant] pair`,
      );
    }
  }
  messages.push({ role: 'user', content: text });
  return messages;
}
