package org.popbeforesmtp.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.avro.RevocationScope;
import org.popbeforesmtp.grants.GrantRules;
import org.popbeforesmtp.grants.InvalidEventException;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.text.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/revocations}, without HTTP: who may revoke, what the body says, publishing it,
 * and the answer. The body is {@code {"scope":"KEY"|"USER", "target":"...", "reason":"...",
 * "issuedBy":"...", "revokedAt":"<ISO-8601, default now>"}}; key targets are canonicalized;
 * anything unclear is refused with a reason (never guessed).
 */
public final class RevocationEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(RevocationEndpoint.class);

  /** Where revocations go: {@code relay.revocations}, acknowledged (or an exception). */
  public interface Publisher {
    void publish(Revocation revocation) throws Exception;
  }

  /**
   * An HTTP answer (JSON).
   *
   * @param retryAfter seconds for a Retry-After header, or 0 for none
   */
  public record Response(int status, String body, int retryAfter) {}

  private final String adminToken;
  private final Clock clock;
  private final Publisher publisher;

  /**
   * @param adminToken the bearer token that allows revoking from anywhere, or null (loopback only)
   */
  public RevocationEndpoint(String adminToken, Clock clock, Publisher publisher) {
    this.adminToken = adminToken;
    this.clock = clock;
    this.publisher = publisher;
  }

  /**
   * Handles one request.
   *
   * @param contentType the Content-Type header, or null
   * @param remote the client's address as the HTTP server saw it
   * @param authorization the Authorization header, or null
   */
  public Response handle(String contentType, String remote, String authorization, String body) {
    Refusal refusal = mediaTypeRefusal(contentType);
    if (refusal == null) {
      refusal = refusal(remote, authorization, adminToken);
    }
    if (refusal != null) {
      return error(refusal.status(), refusal.error(), refusal.message(), 0);
    }
    Revocation revocation;
    try {
      revocation = parse(body, clock.instant());
    } catch (IllegalArgumentException e) {
      return error(400, "invalid revocation", e.getMessage(), 0);
    }
    try {
      publisher.publish(revocation);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return error(503, "unavailable", "interrupted", 0);
    } catch (Exception e) {
      LOG.warn("revocation of {} not published: {}", revocation.getTarget(), e.toString());
      return error(503, "unavailable", "could not publish the revocation: " + e, 5);
    }
    LOG.info(
        "revocation published: {} {} by {} ({})",
        revocation.getScope(),
        revocation.getTarget(),
        revocation.getIssuedBy(),
        revocation.getReason());
    return new Response(
        202,
        Json.mapper()
            .createObjectNode()
            .put("scope", revocation.getScope().name())
            .put("target", revocation.getTarget())
            .put("reason", revocation.getReason())
            .put("issuedBy", revocation.getIssuedBy())
            .put("revokedAt", Json.instant(revocation.getRevokedAt()))
            .toString(),
        0);
  }

  private static Response error(int status, String error, String detail, int retryAfter) {
    return new Response(status, Json.error(error, detail).toString(), retryAfter);
  }

  /**
   * @throws IllegalArgumentException naming what is wrong with the request
   */
  public static Revocation parse(String body, Instant now) {
    JsonNode json;
    try {
      json = Json.mapper().readTree(body == null ? "" : body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("body is not JSON: " + e.getOriginalMessage());
    }
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException(
          "body must be a JSON object with scope, target and reason");
    }
    String scopeText = text(json, "scope", null).toUpperCase(Locale.ROOT);
    RevocationScope scope;
    try {
      scope = RevocationScope.valueOf(scopeText);
    } catch (IllegalArgumentException e) {
      scope = RevocationScope.UNKNOWN;
    }
    if (scope == RevocationScope.UNKNOWN) {
      throw new IllegalArgumentException("scope '" + scopeText + "' must be KEY or USER");
    }
    String target = text(json, "target", null);
    if (scope == RevocationScope.KEY) {
      try {
        target = GrantRules.canonicalTarget(target);
      } catch (InvalidEventException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
    }
    Instant at = now;
    if (json.hasNonNull("revokedAt")) {
      try {
        at = Instant.parse(json.get("revokedAt").asText());
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "revokedAt '" + json.get("revokedAt").asText() + "' is not an ISO-8601 instant");
      }
    }
    return Revocation.newBuilder()
        .setScope(scope)
        .setTarget(target)
        .setReason(text(json, "reason", null))
        .setIssuedBy(text(json, "issuedBy", "http-api"))
        .setRevokedAt(at)
        .build();
  }

  private static String text(JsonNode json, String field, String fallback) {
    JsonNode node = json.get(field);
    if (node == null || node.isNull() || node.asText().isBlank()) {
      if (fallback != null) {
        return fallback;
      }
      throw new IllegalArgumentException(field + " is required");
    }
    return node.asText().strip();
  }

  /** Why a revocation request may not be made: the HTTP status and the reason. */
  public record Refusal(int status, String error, String message) {}

  /**
   * Who may revoke: with {@code admin.token} set, whoever presents it as a bearer token (from
   * anywhere, loopback included); without it, loopback clients only.
   *
   * @param remote the client's address as the HTTP server saw it
   * @param authorization the Authorization header, or null
   * @param token the configured admin token, or null
   * @return null when allowed, else why not
   */
  public static Refusal refusal(String remote, String authorization, String token) {
    if (token != null) {
      return tokenMatches(authorization, token)
          ? null
          : new Refusal(401, "unauthorized", "a valid bearer token is required");
    }
    boolean loopback;
    try {
      loopback = remote != null && IpAddress.parse(remote).isLoopback();
    } catch (IllegalArgumentException e) {
      loopback = false;
    }
    return loopback
        ? null
        : new Refusal(
            403,
            "forbidden",
            "revocations are accepted from loopback clients only unless admin.token is set");
  }

  /**
   * A revocation must say it is JSON: a browser sends {@code application/json} across sites only
   * after a CORS preflight, which this API never allows, so a page on another site cannot make an
   * operator's browser revoke (a form or a {@code text/plain} body would pass the loopback rule).
   *
   * @param contentType the request's Content-Type header, or null
   * @return null when it is JSON, else the 415 refusal
   */
  public static Refusal mediaTypeRefusal(String contentType) {
    String type =
        contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    return type.equals("application/json")
        ? null
        : new Refusal(
            415,
            "unsupported media type",
            "send the revocation as JSON with Content-Type: application/json (got '"
                + (contentType == null ? "" : contentType)
                + "')");
  }

  /** Constant-time comparison of a presented bearer token with the configured one. */
  public static boolean tokenMatches(String authorization, String token) {
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      return false;
    }
    return MessageDigest.isEqual(
        authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8),
        token.getBytes(StandardCharsets.UTF_8));
  }
}
