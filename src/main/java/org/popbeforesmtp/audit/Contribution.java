package org.popbeforesmtp.audit;

import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.grants.GrantPolicy;

/**
 * One successful session event's part in a grant interval.
 *
 * @param eventTime when the login happened (the event's own time)
 * @param arrival when it reached Kafka (the record timestamp the replay ran it at)
 * @param revokedAt when a revocation of its user or key took its grant away, or null
 */
public record Contribution(
    String eventId,
    String username,
    String clientIp,
    Protocol protocol,
    String serverId,
    long eventTime,
    long arrival,
    Long revokedAt) {

  static Contribution of(LoginEvent event, long arrival) {
    return new Contribution(
        event.getEventId(),
        event.getUsername(),
        event.getClientIp(),
        event.getProtocol(),
        event.getServerId(),
        event.getEventTime().toEpochMilli(),
        arrival,
        null);
  }

  Contribution revoked(long at) {
    return new Contribution(
        eventId, username, clientIp, protocol, serverId, eventTime, arrival, at);
  }

  /** True when this login alone grants relay at {@code at} under {@code policy}, unrevoked. */
  boolean covers(long at, GrantPolicy policy) {
    return policy.grantsAt(eventTime, at) && (revokedAt == null || at < revokedAt);
  }
}
