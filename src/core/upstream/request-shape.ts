/**
 * Upstream request shaping: the URL, method and body of one chat_message's upstream request,
 * filled from the templates of the config's `request` section (./request-config.ts). Whatever the
 * templates do, the URL stays on the configured upstream.
 */
import { BridgeError } from '../internal/errors.ts';
import { isObject } from '../internal/json.ts';
import {
  type BridgeConfig,
  isDotSegment,
  PLACEHOLDERS,
  type RequestShape,
  type UpstreamMethod,
  WHOLE_PLACEHOLDER,
} from './request-config.ts';

/** One upstream request as shaped from a chat_message. */
export interface ShapedRequest {
  url: string;
  method: UpstreamMethod;
  /** JSON text; absent for GET. */
  body?: string;
}

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
