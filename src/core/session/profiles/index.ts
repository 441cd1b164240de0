/** Client profiles: event vocabularies as data, and the layer that translates them. */
export {
  BUILTIN_PROFILES,
  CONSULTATION_PROFILE,
  DEFAULT_PROFILE,
  SOCKET_MODULE_PROFILE,
} from './builtins.ts';
export { isIdentityProfile, resolveProfile, toProfile } from './resolve.ts';
export { createProfiledSession, ProfiledSession } from './session.ts';
export { renderTemplate } from './template.ts';
export {
  DEFAULT_MAX_OPEN_ANSWERS,
  type ProfileConnection,
  toProfileConnection,
} from './translate.ts';
export type * from './types.ts';
export { CORE_EVENTS } from './types.ts';
