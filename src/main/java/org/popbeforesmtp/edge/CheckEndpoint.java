package org.popbeforesmtp.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.popbeforesmtp.text.Json;

/**
 * {@code GET /v1/check/{ip}}, without HTTP: a lookup's answer as {@code
 * {"ip","verdict","relay","detail","expiresAt"}}; 400 for an address that is not one, else 200
 * whatever the verdict ({@code relay} is true only for a live grant).
 */
public final class CheckEndpoint {
  private CheckEndpoint() {}

  /** An HTTP answer (JSON). */
  public record Response(int status, String body) {}

  /** The answer for {@code ip} as the client wrote it. */
  public static Response answer(String ip, GrantLookup.Answer answer) {
    ObjectNode body =
        Json.mapper()
            .createObjectNode()
            .put("ip", ip)
            .put("verdict", answer.status().name())
            .put("relay", answer.granted())
            .put("detail", answer.detail());
    if (answer.granted()) {
      body.put("expiresAt", Json.instant(Instant.ofEpochMilli(answer.expiresAt())));
    }
    return new Response(answer.status() == GrantLookup.Status.INVALID ? 400 : 200, body.toString());
  }
}
