import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/core/internal/errors.ts';
import { OptionError } from '../../src/core/config/option-error.ts';
import {
  type BridgeConfig,
  ConfigError,
  parseBridgeConfig,
  parseBridgeConfigText,
} from '../../src/core/upstream/request-config.ts';
import { toOpenAiMessages, toUpstreamRequest } from '../../src/core/upstream/request-shape.ts';

const UPSTREAM = 'https://api.example.com/v1';
const SOURCE = 'config test.json';

const configOf = (request: unknown): BridgeConfig => parseBridgeConfig({ request }, SOURCE);

const refusal = (request: unknown): string => {
  try {
    configOf(request);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(OptionError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(request)}`);
};

const badRequest = (fn: () => unknown): BridgeError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('bad_request');
    return error as BridgeError;
  }
  throw new Error('no bad_request');
};

describe('parseBridgeConfig', () => {
  it('accepts an empty config, defaults the method to POST and passes profiles through', () => {
    expect(parseBridgeConfig({}, SOURCE)).toEqual({});
    const profiles = { mine: { anything: [1, 2] } };
    expect(parseBridgeConfig({ request: {}, profiles }, SOURCE)).toEqual({
      request: { method: 'POST' },
      profiles,
    });
  });

  it('names the source and the field of each problem', () => {
    expect(() => parseBridgeConfig([], SOURCE)).toThrow(
      'config test.json: (top level): must be a JSON object',
    );
    expect(() => parseBridgeConfig({ reqest: {} }, SOURCE)).toThrow(/reqest: unknown key/);
    expect(refusal({ method: 'PUT' })).toMatch(/^config test\.json: request\.method: must be/);
    expect(refusal({ methods: 'GET' })).toMatch(/request\.methods: unknown key/);
    expect(refusal({ query: { q: 1 } })).toMatch(/request\.query\.q: must be a string/);
    expect(refusal({ method: 'GET', body: {} })).toMatch(
      /request\.body: a GET request has no body/,
    );
    expect(() => parseBridgeConfigText('{"request":', SOURCE)).toThrow(
      /^config test\.json: not valid JSON/,
    );
  });

  it.each([
    ['evil.com/chat', 'must start with "/"'],
    ['{host}/chat', 'must start with "/"'],
    ['http://evil.com/chat', 'must start with "/"'],
    ['evil.com:8080/chat', 'must start with "/"'],
    ['//evil.com/chat', 'must not contain "//"'],
    ['/chat//{id}', 'must not contain "//"'],
    ['/\\evil.com/chat', 'must not contain "\\"'],
    ['/@evil.com', 'must not contain "@"'],
    ['/chat?x={id}', 'must not contain "?" or "#"'],
    ['/chat/{id', '"{" and "}" only around a placeholder name'],
    ['/chat/{a-b}', '"{" and "}" only around a placeholder name'],
    ['/chat/../admin', 'must not contain "." or ".." segments'],
    ['/chat/%2e%2E/admin', 'must not contain "." or ".." segments'],
    ['/chat /x', 'whitespace'],
  ])('refuses the path template %j at start-up', (path, problem) => {
    const message = refusal({ path });
    expect(message).toContain('config test.json: request.path: ');
    expect(message).toContain(problem);
  });
});

describe('toUpstreamRequest', () => {
  const data = { current_text: 'hi there', conversation_id: 'c 1/../x', n: 3, flag: true };

  it('without a config POSTs the chat_message data unchanged to the upstream URL', () => {
    expect(toUpstreamRequest(undefined, UPSTREAM, data, 'r1')).toEqual({
      url: UPSTREAM,
      method: 'POST',
      body: JSON.stringify(data),
    });
  });

  it('appends the path, URL-encoding each value inside its segment', () => {
    const config = configOf({ path: '/chat/{conversation_id}/{request_id}.{n}' });
    const { url } = toUpstreamRequest(config, UPSTREAM, data, 'r/1');
    expect(url).toBe('https://api.example.com/v1/chat/c%201%2F..%2Fx/r%2F1.3');
    expect(new URL(url).host).toBe('api.example.com');
  });

  it('appends to a root upstream path and keeps the upstream query', () => {
    const config = configOf({ path: '/sub/{conversation_id}', query: { q: '{current_text}' } });
    const { url } = toUpstreamRequest(config, 'http://127.0.0.1:9/?key=k', data, 'r');
    expect(url).toBe('http://127.0.0.1:9/sub/c%201%2F..%2Fx?key=k&q=hi+there');
  });

  it('fills query templates and leaves out a parameter whose only placeholder is missing', () => {
    const config = configOf({
      query: { q: '{current_text}', tag: 'x-{n}-{missing}', gone: '{missing}', on: '{flag}' },
    });
    const url = new URL(toUpstreamRequest(config, UPSTREAM, data, 'r').url);
    expect([...url.searchParams]).toEqual([
      ['q', 'hi there'],
      ['tag', 'x-3-'],
      ['on', 'true'],
    ]);
  });

  it('refuses a path value that is missing, empty, a dot segment or not scalar (bad_request)', () => {
    const config = configOf({ path: '/chat/{conversation_id}' });
    expect(badRequest(() => toUpstreamRequest(config, UPSTREAM, {}, 'r')).message).toContain(
      'request.path {conversation_id}',
    );
    badRequest(() => toUpstreamRequest(config, UPSTREAM, { conversation_id: '' }, 'r'));
    badRequest(() => toUpstreamRequest(config, UPSTREAM, { conversation_id: '..' }, 'r'));
    badRequest(() => toUpstreamRequest(config, UPSTREAM, { conversation_id: { a: 1 } }, 'r'));
  });

  it('re-checks the origin of the built URL (defence in depth)', () => {
    // A shape that bypassed parseBridgeConfig: the request-time check still holds.
    const forged: BridgeConfig = { request: { method: 'POST', path: '/{x}' } };
    const ok = toUpstreamRequest(forged, UPSTREAM, { x: '@evil.com' }, 'r');
    expect(new URL(ok.url).origin).toBe('https://api.example.com');
    const error = badRequest(() =>
      toUpstreamRequest(
        { request: { method: 'POST', path: '/../../x' } },
        'https://api.example.com/v1/deep',
        {},
        'r',
      ),
    );
    expect(error.message).toContain('leaves the configured upstream');
  });

  it('sends GET without a body', () => {
    const config = configOf({ method: 'GET', path: '/sub/{conversation_id}' });
    expect(toUpstreamRequest(config, UPSTREAM, { conversation_id: 'a' }, 'r')).toEqual({
      url: 'https://api.example.com/v1/sub/a',
      method: 'GET',
    });
  });

  it('fills a body template, keeping JSON types for whole placeholders', () => {
    const config = configOf({
      body: {
        text: '{current_text}',
        history: '{history}',
        greeting: 'Hello {name}, n={n}, h={history}',
        id: '{request_id}',
        absent: '{missing}',
        list: ['{missing}', '{n}', 7, null],
      },
    });
    const message = { current_text: 'hi', history: [['a', 'b']], n: 2, name: 'Ann' };
    const shaped = toUpstreamRequest(config, UPSTREAM, message, 'r9');
    const body = JSON.parse(shaped.body as string);
    expect(body).toEqual({
      text: 'hi',
      history: [['a', 'b']],
      greeting: 'Hello Ann, n=2, h=[["a","b"]]',
      id: 'r9',
      list: [null, 2, 7, null],
    });
    expect(Object.hasOwn(body, 'absent')).toBe(false);
  });

  it('keeps a "__proto__" key of the template a plain key', () => {
    const config = parseBridgeConfigText('{"request":{"body":{"__proto__":{"x":"{n}"}}}}', SOURCE);
    const shaped = toUpstreamRequest(config, UPSTREAM, { n: 1 }, 'r');
    expect(shaped.body).toBe('{"__proto__":{"x":1}}');
  });

  it('builds an OpenAI request from history and current_text', () => {
    const config = configOf({
      body: { model: 'gpt-4o', stream: true, messages: '{openai_messages}' },
    });
    const message = {
      current_text: 'and now?',
      history: [
        { role: 'system', content: 'be brief', extra: 'dropped' },
        ['hello', 'hi!'],
        ['only a question', null],
      ],
    };
    const body = JSON.parse(toUpstreamRequest(config, UPSTREAM, message, 'r').body as string);
    expect(body).toEqual({
      model: 'gpt-4o',
      stream: true,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi!' },
        { role: 'user', content: 'only a question' },
        { role: 'user', content: 'and now?' },
      ],
    });
  });
});

describe('toOpenAiMessages', () => {
  it('accepts no history', () => {
    expect(toOpenAiMessages({ current_text: 'x' })).toEqual([{ role: 'user', content: 'x' }]);
  });

  it('refuses other shapes with bad_request', () => {
    badRequest(() => toOpenAiMessages({}));
    badRequest(() => toOpenAiMessages({ current_text: 'x', history: 'no' }));
    const error = badRequest(() => toOpenAiMessages({ current_text: 'x', history: [[1, 2, 3]] }));
    expect(error.message).toContain('history[0]');
  });
});
