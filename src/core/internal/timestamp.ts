/**
 * Every server message carries `timestamp` (milliseconds since the epoch) beside its own fields,
 * so clients can order and trace what they receive. Frames get theirs where they are numbered;
 * other messages where they are built, through {@link withTimestamp}.
 */

/** Message data as sent: an object's fields plus `timestamp`; no data becomes `{timestamp}`. */
export function withTimestamp(data: unknown, now: number = Date.now()): unknown {
  if (data === undefined) return { timestamp: now };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  // Stamped where it was built (a published event): every receiver sees that one time.
  if (typeof (data as { timestamp?: unknown }).timestamp === 'number') return data;
  return { ...data, timestamp: now };
}
