/** Timers that type-check on every runtime (Node returns objects, Workers numbers). */

/** A pending timeout or interval. */
export type Timer = ReturnType<typeof setTimeout>;

/** Clear a timer that may not be set (Workers' clearTimeout does not accept undefined). */
export function cancelTimer(timer: Timer | undefined): void {
  if (timer !== undefined) clearTimeout(timer);
}
