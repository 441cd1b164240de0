/** A small typed event emitter (no Node `events`, no DOM `EventTarget`, so it runs anywhere). */

/** Handler signatures by event name, e.g. `{ state: (state: string) => void }`. */
export type EventMap<T> = { [E in keyof T]: (...args: never[]) => void };

/** Subscribe with {@link Emitter.on}, which returns the unsubscribe function. */
export class Emitter<Events extends EventMap<Events>> {
  private readonly handlers = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Call `handler` for every `event` until the returned function is called. */
  on<E extends keyof Events>(event: E, handler: Events[E]): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => this.off(event, handler);
  }

  /** Stop calling `handler`. */
  off<E extends keyof Events>(event: E, handler: Events[E]): void {
    this.handlers.get(event)?.delete(handler);
  }

  /** Call every handler of `event`; one that throws does not stop the others. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      try {
        (handler as (...a: Parameters<Events[E]>) => void)(...args);
      } catch (error) {
        // A bug in an application handler must not break the connection's bookkeeping.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
