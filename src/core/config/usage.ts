/** How an option of the table is written for people: in the CLI's help and in the docs. */
import type { OptionSpec } from './spec.ts';

/** True for an option that takes no value: `--name` turns it on, `--no-name` off. */
export function isSwitch(s: OptionSpec): boolean {
  return s.valueName === undefined;
}

/**
 * How the help and the README show an option: `--port <n>`; a switch on by default shows the
 * form that changes something, `--no-playground`.
 */
export function toFlagUsage(s: OptionSpec): string {
  if (!isSwitch(s)) return `${s.flag} <${s.valueName}>`;
  return s.defaultValue === true ? `--no-${s.flag.slice(2)}` : s.flag;
}

/** A default as the help and the README print it. */
export function toDefaultText(s: OptionSpec): string {
  if (s.defaultValue !== undefined) return String(s.defaultValue);
  return s.defaultText ?? 'none';
}
