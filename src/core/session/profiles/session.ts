/**
 * The inbound half of a profile: a {@link Session} whose client events are translated to core
 * events before the session sees them. The session itself knows nothing of profiles.
 */
import { type Reply, Session, type SessionHost } from '../session.ts';
import { isObject } from '../../internal/json.ts';
import { toOptionalConversationId, toOptionalRequestId } from '../../protocol/client-data.ts';
import { renderTemplate } from './template.ts';
import { type ProfileConnection, toProfileConnection } from './translate.ts';
import type { Profile } from './types.ts';

/** A session for a client that speaks `profile`. */
export class ProfiledSession extends Session {
  private readonly profile: Profile;
  private readonly profiled: ProfileConnection;

  constructor(
    host: SessionHost,
    connection: ProfileConnection,
    profile: Profile,
    forwardedHeaders: Readonly<Record<string, string>>,
    userId?: string,
  ) {
    super(host, connection, forwardedHeaders, userId);
    this.profile = profile;
    this.profiled = connection;
  }

  /** Handle one client event, in the profile's vocabulary or the core's. */
  override receive(event: string, data: unknown, reply?: Reply): void {
    const { inbound } = this.profile;
    const rule = Object.hasOwn(inbound, event) ? inbound[event] : undefined;
    const coreEvent = rule?.event ?? event;
    const coreData = rule?.data === undefined ? data : renderTemplate(rule.data, { data });
    const coreReply = coreEvent === 'chat_message' ? this.noting(coreData, reply) : reply;
    super.receive(coreEvent, coreData, coreReply);
  }

  /**
   * Learn the conversation of an answer this client asks for (frames do not carry it): from the
   * data's request_id, else from the ack. Without an ack asked for, an error still goes out as
   * `error`, as the session would send it.
   */
  private noting(data: unknown, reply?: Reply): Reply | undefined {
    let conversationId: string | undefined;
    let requestId: string | undefined;
    try {
      conversationId = isObject(data) ? toOptionalConversationId(data) : undefined;
      requestId = isObject(data) ? toOptionalRequestId(data) : undefined;
    } catch {
      // Invalid ids: the session refuses the message itself.
      return reply;
    }
    if (conversationId === undefined) return reply;
    if (requestId !== undefined) {
      this.profiled.noteConversation(requestId, conversationId);
      return reply;
    }
    return (outcome) => {
      if ('error' in outcome) {
        if (reply) reply(outcome);
        else if (!this.isClosed) this.connection.send('error', outcome.error);
        return;
      }
      const acked = isObject(outcome.data) ? outcome.data.request_id : undefined;
      if (typeof acked === 'string') this.profiled.noteConversation(acked, conversationId);
      reply?.(outcome);
    };
  }
}

/** A session speaking `profile` on `connection`. */
export function createProfiledSession(
  host: SessionHost,
  connection: Parameters<typeof toProfileConnection>[0],
  profile: Profile,
  forwardedHeaders: Readonly<Record<string, string>>,
  userId?: string,
): Session {
  return new ProfiledSession(
    host,
    toProfileConnection(connection, profile),
    profile,
    forwardedHeaders,
    userId,
  );
}
