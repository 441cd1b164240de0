import { describe, expect, it } from 'vitest';
import {
  createConversationAccess,
  matchesConversation,
  toConversationAccess,
} from '../../src/core/auth/conversation-access.ts';
import { toConversationPatterns } from '../../src/core/auth/credentials.ts';
import { defaultOptions } from '../../src/core/config/resolve.ts';
import { OptionError } from '../../src/core/config/option-error.ts';

const options = (overrides: object) => ({ ...defaultOptions(), ...overrides });

describe('the conversation access policy', () => {
  it('defaults to open only without authentication', () => {
    expect(toConversationAccess(options({}))).toBe('open');
    expect(toConversationAccess(options({ jwtSecret: 's' }))).toBe('token');
    expect(toConversationAccess(options({ jwksUrl: 'https://x/jwks' }))).toBe('token');
    // --auth-url alone has no claims: with `token`, no join is allowed until a rule allows it.
    expect(toConversationAccess(options({ authUrl: 'https://x/auth' }))).toBe('token');
    expect(
      toConversationAccess(options({ authUrl: 'https://x/a', joinAuthUrl: 'https://x/j' })),
    ).toBe('check');
    expect(toConversationAccess(options({ jwtSecret: 's', conversationAccess: 'open' }))).toBe(
      'open',
    );
  });

  it('refuses every join under --auth-url alone (no rule allows one)', async () => {
    const check = createConversationAccess(options({ authUrl: 'https://x/auth' }), fetch);
    expect(await check({ conversationId: 'c', grant: {}, headers: {} }, new Map())).toBe(false);
  });

  it('matches exact ids and prefix* patterns only', () => {
    expect(matchesConversation('consult-42', ['consult-42'])).toBe(true);
    expect(matchesConversation('consult-42', ['consult-*'])).toBe(true);
    expect(matchesConversation('consult-42', ['consult-4'])).toBe(false);
    expect(matchesConversation('other', ['consult-*', 'x'])).toBe(false);
    expect(matchesConversation('anything', ['*'])).toBe(true);
  });

  it('reads the claim as a list or a space-separated string, ignoring other values', () => {
    expect(toConversationPatterns(['a', 'b*', 3, ''])).toEqual(['a', 'b*']);
    expect(toConversationPatterns('a  b*')).toEqual(['a', 'b*']);
    expect(toConversationPatterns(undefined)).toBeUndefined();
    expect(toConversationPatterns({ a: 1 })).toBeUndefined();
  });

  it('refuses to start with check access but no --join-auth-url', () => {
    expect(() => createConversationAccess(options({ conversationAccess: 'check' }), fetch)).toThrow(
      OptionError,
    );
  });
});
