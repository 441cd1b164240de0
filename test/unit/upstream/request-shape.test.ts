/**
 * Request shaping on its own: reading the config's `request` section (request-config.ts) and
 * building one chat_message's upstream request from it (request-shape.ts).
 */
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/core/internal/errors.ts';
import {
  ConfigError,
  isDotSegment,
  parseBridgeConfig,
  parseBridgeConfigText,
} from '../../../src/core/upstream/request-config.ts';
import {
  fillJson,
  toOpenAiMessages,
  toUpstreamRequest,
} from '../../../src/core/upstream/request-shape.ts';

const UPSTREAM = 'https://api.example.com/v1/chat';
const SOURCE = 'config unit.json';

/** The ConfigError message for a `request` section, or undefined when it is accepted. */
function problemOf(request: unknown): string | undefined {
  try {
    parseBridgeConfig({ request }, SOURCE);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

/** The bad_request message of building a request, or undefined when it is built. */
function refusalOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('bad_request');
    return (error as Error).message;
  }
}

describe('reading the request section', () => {
  it.each([
    ['no leading slash', 'x/{id}', 'must start with "/"'],
    ['a double slash', '/a//b', 'must not contain "//"'],
    ['a backslash', '/a\\b', 'must not contain "\\"'],
    ['an @', '/a@b', 'must not contain "@"'],
    ['a query', '/a?b=1', 'must not contain "?" or "#"'],
    ['a fragment', '/a#b', 'must not contain "?" or "#"'],
    ['a space', '/a b', 'must not contain whitespace or control'],
    ['a control character', '/a\u0001', 'must not contain whitespace or control'],
    ['a DEL', '/a\u007f', 'must not contain whitespace or control'],
    ['a stray brace', '/a{', '"{" and "}" only around a placeholder'],
    ['a placeholder of a bad name', '/{1x}', '"{" and "}" only around a placeholder'],
    ['a dot segment', '/a/../b', 'must not contain "." or ".." segments'],
    ['an encoded dot segment', '/a/%2E%2e/b', 'must not contain "." or ".." segments'],
    ['a single dot', '/./b', 'must not contain "." or ".." segments'],
  ])('refuses a path with %s', (_, path, problem) => {
    const message = problemOf({ path });
    expect(message).toContain(`${SOURCE}: request.path: ${problem}`);
  });

  it('accepts paths made of literal segments and placeholders', () => {
    expect(problemOf({ path: '/threads/{thread_id}/runs' })).toBeUndefined();
    expect(problemOf({ path: '/a.b/{x}-{y}/..c' })).toBeUndefined();
  });

  it('refuses unknown keys, bad methods, non-string query values and a GET body', () => {
    expect(problemOf({ verb: 'GET' })).toContain('request.verb: unknown key');
    expect(problemOf({ method: 'PUT' })).toContain('request.method: must be "GET" or "POST"');
    expect(problemOf({ query: { a: 1 } })).toContain('request.query.a: must be a string');
    expect(problemOf({ query: { '': 'x' } })).toContain('a parameter name must not be empty');
    expect(problemOf({ query: ['a'] })).toContain('request.query: must be an object');
    expect(problemOf({ method: 'GET', body: {} })).toContain('a GET request has no body');
    expect(problemOf('POST')).toContain('request: must be an object');
  });

  it('refuses a top level that is not an object, and unknown top-level keys', () => {
    expect(() => parseBridgeConfig([], SOURCE)).toThrow(`${SOURCE}: (top level)`);
    expect(() => parseBridgeConfig({ upstream: {} }, SOURCE)).toThrow('upstream: unknown key');
    expect(() => parseBridgeConfig({ profiles: 1 }, SOURCE)).toThrow('profiles: must be');
  });

  it('names invalid JSON text as such', () => {
    expect(() => parseBridgeConfigText('{request:', SOURCE)).toThrow(`${SOURCE}: not valid JSON`);
    expect(parseBridgeConfigText('{"request":{"method":"GET"}}', SOURCE)).toEqual({
      request: { method: 'GET' },
    });
  });

  it('knows dot segments, in percent-encoded forms too', () => {
    for (const s of ['.', '..', '%2e', '%2E%2e', '.%2e']) expect(isDotSegment(s)).toBe(true);
    for (const s of ['', '...', 'a.', '%2e%2e%2e', '%2f']) expect(isDotSegment(s)).toBe(false);
  });
});

describe('building the upstream request', () => {
  const config = (request: unknown) => parseBridgeConfig({ request }, SOURCE);

  it('fills {request_id} and message fields into the path, each value one encoded segment', () => {
    const shaped = toUpstreamRequest(
      config({ path: '/{conversation_id}/{request_id}' }),
      UPSTREAM,
      { conversation_id: 'a/b c' },
      'r-1',
    );
    expect(shaped.url).toBe('https://api.example.com/v1/chat/a%2Fb%20c/r-1');
  });

  it('uses own fields only: an inherited name is missing', () => {
    const message = refusalOf(() =>
      toUpstreamRequest(config({ path: '/{toString}' }), UPSTREAM, {}, 'r'),
    );
    expect(message).toContain('chat_message has no non-empty "toString"');
  });

  it('writes numbers and booleans as text in the query, and refuses objects', () => {
    const shaped = toUpstreamRequest(
      config({
        method: 'GET',
        query: { n: '{n}', b: 'is-{b}', gone: '{missing}', empty: 'x{missing}' },
      }),
      UPSTREAM,
      { n: 3, b: false },
      'r',
    );
    expect(shaped).toEqual({
      url: `${UPSTREAM}?n=3&b=is-false&empty=x`,
      method: 'GET',
    });
    const message = refusalOf(() =>
      toUpstreamRequest(config({ query: { o: '{o}' } }), UPSTREAM, { o: {} }, 'r'),
    );
    expect(message).toContain('request.query.o: a URL value must be a string, number or boolean');
  });

  it('refuses a body that cannot be serialised', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const message = refusalOf(() =>
      toUpstreamRequest(config({ body: { deep: '{deep}' } }), UPSTREAM, { deep }, 'r'),
    );
    expect(message).toContain('cannot be serialised');
  });

  it('sends null for a body template that is only a missing placeholder', () => {
    const shaped = toUpstreamRequest(config({ body: '{missing}' }), UPSTREAM, {}, 'r');
    expect(shaped.body).toBe('null');
  });
});

describe('filling a JSON template', () => {
  const values: Record<string, unknown> = { s: 'text', n: 2, o: { k: [1] }, z: null };
  const lookup = (name: string): unknown => values[name];

  it('keeps the JSON type of a whole placeholder, and writes inline ones as text', () => {
    expect(fillJson({ a: '{n}', b: 'n={n} o={o} s={s} z={z} m={missing}' }, lookup)).toEqual({
      a: 2,
      b: 'n=2 o={"k":[1]} s=text z= m=',
    });
  });

  it('drops an object key whose placeholder is missing, and makes it null in an array', () => {
    expect(
      fillJson({ keep: '{z}', drop: '{missing}', list: ['{missing}', '{s}'] }, lookup),
    ).toEqual({
      keep: null,
      list: [null, 'text'],
    });
  });

  it('leaves values without placeholders as they are', () => {
    expect(fillJson([1, true, null, 'plain', { x: 1.5 }], lookup)).toEqual([
      1,
      true,
      null,
      'plain',
      { x: 1.5 },
    ]);
  });
});

describe('OpenAI messages', () => {
  it('skips an empty or missing side of a [user, assistant] pair', () => {
    const messages = toOpenAiMessages({
      history: [
        ['hi', null],
        ['', 'hello'],
        [undefined, 'again'],
      ],
      current_text: 'now',
    });
    expect(messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'assistant', content: 'again' },
      { role: 'user', content: 'now' },
    ]);
  });

  it('drops keys other than role and content, and accepts a null history', () => {
    const messages = toOpenAiMessages({
      history: [{ role: 'system', content: 'be brief', name: 'x' }],
      current_text: 'q',
    });
    expect(messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'q' },
    ]);
    expect(toOpenAiMessages({ history: null, current_text: 'q' })).toHaveLength(1);
  });

  it('names the history item that has neither shape', () => {
    const message = refusalOf(() =>
      toOpenAiMessages({
        history: [
          ['a', 'b'],
          ['a', 'b', 'c'],
        ],
        current_text: 'q',
      }),
    );
    expect(message).toContain('history[1]');
  });
});
