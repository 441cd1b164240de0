/**
 * The config file's `request` section and the file itself, read and validated: the method, a path
 * and a query template, and a JSON body template. A template can never change the upstream's
 * scheme, host or port: that is checked here, when the config is read, and the origin of every
 * URL built is checked again before the request goes out (./request-shape.ts).
 */
import { isObject } from '../internal/json.ts';
import { OptionError } from '../config/option-error.ts';

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

/** A config that cannot be used; the message names the source, the field and the problem. */
export class ConfigError extends OptionError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
/** `{name}` placeholders in a template (global: for `replace`). */
export const PLACEHOLDERS = new RegExp(`\\{(${NAME})\\}`, 'g');
/** A template that is exactly one placeholder. */
export const WHOLE_PLACEHOLDER = new RegExp(`^\\{(${NAME})\\}$`);
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

/** Whether a path segment is "." or ".."; the URL parser also resolves "%2e" forms of them. */
export const isDotSegment = (segment: string): boolean => {
  const s = segment.replace(/%2e/gi, '.');
  return s === '.' || s === '..';
};
