package org.popbeforesmtp.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.text.Json;

/** A grant as the HTTP API shows it (instants as {@link Json#instant}). */
public final class GrantJson {
  private GrantJson() {}

  public static ObjectNode grant(RelayGrant g) {
    return Json.mapper()
        .createObjectNode()
        .put("key", g.getKey())
        .put("clientIp", g.getClientIp())
        .put("username", g.getUsername())
        .put("grantedAt", Json.instant(g.getGrantedAt()))
        .put("lastEventAt", Json.instant(g.getLastEventAt()))
        .put("expiresAt", Json.instant(g.getExpiresAt()))
        .put("eventId", g.getEventId())
        .put("protocol", g.getProtocol().name())
        .put("server", g.getServerId())
        .put("eventCount", g.getEventCount());
  }
}
