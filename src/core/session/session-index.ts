/**
 * The connected sessions of one bridge, by id: a set to the opener's callers (admission, the
 * admin API, the drain) and a lookup for the client topics (a publish names its session by id).
 * One index, not a set and a map: each is an entry per idle connection.
 */
import type { Session } from './session.ts';

/** The open sessions, iterated in connect order, found by id. */
export class SessionIndex implements ReadonlySet<Session> {
  readonly #byId = new Map<string, Session>();

  get size(): number {
    return this.#byId.size;
  }

  has(session: Session): boolean {
    return this.#byId.get(session.id) === session;
  }

  /** The open session with this id, if any. */
  get(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  add(session: Session): void {
    this.#byId.set(session.id, session);
  }

  delete(session: Session): void {
    if (this.has(session)) this.#byId.delete(session.id);
  }

  values(): SetIterator<Session> {
    return this.#byId.values();
  }

  keys(): SetIterator<Session> {
    return this.#byId.values();
  }

  *entries(): SetIterator<[Session, Session]> {
    for (const session of this.#byId.values()) yield [session, session];
  }

  forEach(
    callback: (value: Session, value2: Session, set: ReadonlySet<Session>) => void,
    thisArg?: unknown,
  ): void {
    for (const session of this.#byId.values()) callback.call(thisArg, session, session, this);
  }

  [Symbol.iterator](): SetIterator<Session> {
    return this.#byId.values();
  }
}
