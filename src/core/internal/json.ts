/**
 * JSON helpers shared by every layer: the one test for a plain object, and parsing that answers
 * `undefined` instead of throwing.
 */

/** A plain JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse JSON, or `undefined` when the text is not JSON. Cheap pre-check avoids throwing on prose. */
export function tryParseJson(text: string): unknown {
  const first = text.trimStart()[0];
  if (first === undefined) return undefined;
  if (!'{["-0123456789tfn'.includes(first)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
