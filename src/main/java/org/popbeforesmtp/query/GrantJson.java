package org.popbeforesmtp.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.popbeforesmtp.avro.RelayGrant;

/** JSON of the HTTP API: grants with instants as ISO-8601 UTC strings with milliseconds. */
public final class GrantJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter INSTANT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private GrantJson() {}

  public static ObjectMapper mapper() {
    return JSON;
  }

  public static String instant(Instant instant) {
    return INSTANT.format(instant);
  }

  public static ObjectNode grant(RelayGrant g) {
    return JSON.createObjectNode()
        .put("key", g.getKey())
        .put("clientIp", g.getClientIp())
        .put("username", g.getUsername())
        .put("grantedAt", instant(g.getGrantedAt()))
        .put("lastEventAt", instant(g.getLastEventAt()))
        .put("expiresAt", instant(g.getExpiresAt()))
        .put("eventId", g.getEventId())
        .put("protocol", g.getProtocol().name())
        .put("server", g.getServerId())
        .put("eventCount", g.getEventCount());
  }

  public static ObjectNode error(String error, String detail) {
    return JSON.createObjectNode().put("error", error).put("detail", detail);
  }
}
