/**
 * Choosing the profile at start-up: a built-in by name, or a custom one from the config file's
 * `profiles` section, checked here so a bad profile stops the start with a message naming it.
 */
import { isObject } from '../../internal/json.ts';
import { OptionError } from '../../config/option-error.ts';
import { BUILTIN_PROFILES } from './builtins.ts';
import {
  CORE_EVENTS,
  type CoreEvent,
  type Emit,
  type InboundRule,
  type OutboundRules,
  type Profile,
  type Template,
} from './types.ts';

const PROFILE_KEYS = new Set(['namespace', 'inbound', 'outbound']);
const OUTBOUND_KEYS = new Set(['start', 'frames', 'events']);

type Fail = (field: string, problem: string) => never;

function toEmits(value: unknown, field: string, fail: Fail): Emit[] {
  if (!Array.isArray(value)) return fail(field, 'must be an array of {event, data?}');
  return value.map((item: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(item)) return fail(at, 'must be an object {event, data?}');
    if (typeof item.event !== 'string' || item.event === '') {
      return fail(`${at}.event`, 'must be a non-empty string');
    }
    return item.data === undefined
      ? { event: item.event }
      : { event: item.event, data: item.data as Template };
  });
}

function toEmitTable(value: unknown, field: string, fail: Fail): Record<string, Emit[]> {
  if (!isObject(value)) return fail(field, 'must be an object of event lists');
  const table: Record<string, Emit[]> = {};
  for (const [key, emits] of Object.entries(value)) {
    table[key] = toEmits(emits, `${field}.${key}`, fail);
  }
  return table;
}

function toInbound(value: unknown, fail: Fail): Record<string, InboundRule> {
  if (!isObject(value)) return fail('inbound', 'must be an object');
  const inbound: Record<string, InboundRule> = {};
  for (const [name, rule] of Object.entries(value)) {
    const at = `inbound.${name}`;
    if ((CORE_EVENTS as readonly string[]).includes(name)) {
      fail(at, 'core events keep their names; add an alias instead');
    }
    if (!isObject(rule)) return fail(at, 'must be an object {event, data?}');
    if (!(CORE_EVENTS as readonly unknown[]).includes(rule.event)) {
      fail(`${at}.event`, `must be one of ${CORE_EVENTS.join(', ')}`);
    }
    const event = rule.event as CoreEvent;
    inbound[name] = rule.data === undefined ? { event } : { event, data: rule.data as Template };
  }
  return inbound;
}

function toOutbound(value: unknown, fail: Fail): OutboundRules {
  if (!isObject(value)) return fail('outbound', 'must be an object');
  for (const key of Object.keys(value)) {
    if (!OUTBOUND_KEYS.has(key)) fail(`outbound.${key}`, 'unknown key (start, frames, events)');
  }
  const outbound: OutboundRules = {
    ...(value.start === undefined ? {} : { start: toEmits(value.start, 'outbound.start', fail) }),
    ...(value.frames === undefined
      ? {}
      : { frames: toEmitTable(value.frames, 'outbound.frames', fail) }),
    ...(value.events === undefined
      ? {}
      : { events: toEmitTable(value.events, 'outbound.events', fail) }),
  };
  return outbound;
}

/**
 * Check one custom profile from config data.
 * @throws OptionError naming `--config`, the profile and the field.
 */
export function toProfile(name: string, value: unknown): Profile {
  const fail: Fail = (field, problem) => {
    throw new OptionError(`--config: profiles.${name}.${field}: ${problem}`);
  };
  if (!isObject(value)) {
    throw new OptionError(`--config: profiles.${name}: must be an object`);
  }
  for (const key of Object.keys(value)) {
    if (!PROFILE_KEYS.has(key)) fail(key, 'unknown key (namespace, inbound, outbound)');
  }
  const namespace = value.namespace ?? '/';
  if (typeof namespace !== 'string' || !namespace.startsWith('/')) {
    fail('namespace', 'must be a string starting with "/"');
  }
  return {
    name,
    namespace: namespace as string,
    inbound: value.inbound === undefined ? {} : toInbound(value.inbound, fail),
    outbound: value.outbound === undefined ? {} : toOutbound(value.outbound, fail),
  };
}

/**
 * The profile named by the `profile` option: a built-in, or one of `custom` (the config file's
 * `profiles` section). Every custom profile is checked, used or not.
 * @throws OptionError naming `--profile` (unknown name) or `--config` (a bad custom profile).
 */
export function resolveProfile(
  name: string,
  custom: Readonly<Record<string, unknown>> = {},
): Profile {
  const customs = new Map<string, Profile>();
  for (const [customName, value] of Object.entries(custom)) {
    if (Object.hasOwn(BUILTIN_PROFILES, customName)) {
      throw new OptionError(`--config: profiles.${customName}: shadows a built-in profile`);
    }
    customs.set(customName, toProfile(customName, value));
  }
  const found = Object.hasOwn(BUILTIN_PROFILES, name) ? BUILTIN_PROFILES[name] : customs.get(name);
  if (!found) {
    const known = [...Object.keys(BUILTIN_PROFILES), ...customs.keys()].join(', ');
    throw new OptionError(`--profile: unknown profile "${name}" (known: ${known})`);
  }
  return found;
}

/** Whether a profile changes nothing (the default vocabulary): sessions then skip translation. */
export function isIdentityProfile(profile: Profile): boolean {
  const { start, frames, events } = profile.outbound;
  return (
    Object.keys(profile.inbound).length === 0 &&
    start === undefined &&
    frames === undefined &&
    events === undefined
  );
}
