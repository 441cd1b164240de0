/** UTF-8 sizes of strings, without allocating where it can be avoided. */

/**
 * Strings up to this many UTF-16 units are measured by encoding them into one shared scratch
 * buffer (3 bytes per unit at most): the runtime's encoder is about twice as fast as the loop
 * below on a frame's JSON, which the resume buffer measures once per frame.
 */
export const DEFAULT_SCRATCH_UNITS = 16 * 1024;

const encoder = new TextEncoder();
const scratch = new Uint8Array(DEFAULT_SCRATCH_UNITS * 3);

/** UTF-8 length of a string. */
export function utf8Length(text: string): number {
  if (text.length <= DEFAULT_SCRATCH_UNITS) return encoder.encodeInto(text, scratch).written;
  return countUtf8(text);
}

/** UTF-8 length by counting, for strings longer than the scratch buffer. */
function countUtf8(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair is 2 UTF-16 units and 4 UTF-8 bytes.
      bytes += 2;
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

/** Whether the UTF-8 form of `text` is over `limit` bytes; exact only when it could be. */
export function exceedsBytes(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return false;
  return utf8Length(text) > limit;
}
