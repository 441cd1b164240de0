/**
 * The one way in for every transport on every runtime (Node's `/ws` and Socket.IO, Workers' `/ws`
 * and Socket.IO): admit the connect request, then, once the transport is up, open the client's
 * session and hand back its port, which answers each message at most once.
 */
import type { Admission, AdmissionRequest, RefusalStatus } from './admission.ts';
import type { BridgeError } from '../internal/errors.ts';
import type { SessionOpener } from '../session/opener.ts';
import { type AdmittedClient, toClientPort } from '../transport/client-port.ts';

/** An admitted client, or the refusal to answer (HTTP status or Socket.IO `connect_error`). */
export type EntryResult =
  { ok: true; client: AdmittedClient } | { ok: false; error: BridgeError; status: RefusalStatus };

/** The entry of one bridge: its admission and its session opener, joined. */
export interface ClientEntry {
  readonly opener: SessionOpener;
  /** For checks before any session exists (Socket.IO's Engine.IO handshake, draining). */
  readonly admission: Admission;
  /** Admit a connect request; its session opens when the transport calls `client.open`. */
  enter(request: AdmissionRequest): Promise<EntryResult>;
}

const noop = (): void => {};

/** Join a bridge's admission and session opener into its entry. */
export function createClientEntry(opener: SessionOpener, admission: Admission): ClientEntry {
  return {
    opener,
    admission,
    async enter(request) {
      const result = await admission.admit(request);
      if (!result.ok) return result;
      const { handshake } = result;
      // Before the transport tells the client it is connected (101, Socket.IO's CONNECT): from
      // then on, what is published to it must reach it.
      const release = (await opener.prepare?.(handshake)) ?? noop;
      return {
        ok: true,
        client: {
          handshake,
          options: opener.options,
          open(connection) {
            const port = toClientPort(opener.openSession(connection, handshake));
            // The session now holds its topics itself.
            release();
            return port;
          },
        },
      };
    },
  };
}
