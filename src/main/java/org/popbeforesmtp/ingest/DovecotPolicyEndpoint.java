package org.popbeforesmtp.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Locale;
import java.util.UUID;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.net.InvalidAddressException;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.text.Json;

/**
 * Dovecot's HTTP auth-policy protocol ({@code auth_policy_server_url}), report side: {@code
 * command=allow} is answered {@code {"status":0}} at once (we never refuse or delay a login), and
 * {@code command=report} becomes a LoginEvent (SUCCESS when {@code success} is true and the policy
 * did not reject, else FAILURE) handed to the publisher without waiting for Kafka. The truncated
 * password hash Dovecot sends ({@code pwhash}) is never logged or kept.
 */
public final class DovecotPolicyEndpoint {
  /** Largest request body accepted. */
  public static final int MAX_BODY_BYTES = 16 * 1024;

  private static final ObjectMapper JSON = Json.mapper();
  private static final String OK = "{\"status\":0}";

  private final CidrSet allowedClients;
  private final String secretHeader;
  private final String secretValue;
  private final String serverId;
  private final Clock clock;
  private final LoginSink sink;

  /** Where events go (the publisher in production). */
  public interface LoginSink {
    /** Accepts an event without blocking; false when it could not be taken. */
    boolean submit(LoginEvent event);
  }

  /** An HTTP answer. */
  public record Response(int status, String body) {}

  /**
   * @param allowedClients networks allowed besides loopback
   * @param secretHeader header name Dovecot sends ({@code auth_policy_server_api_header}), or null
   * @param serverId server id of the events when the request does not name one
   */
  public DovecotPolicyEndpoint(
      CidrSet allowedClients,
      String secretHeader,
      String secretValue,
      String serverId,
      Clock clock,
      LoginSink sink) {
    this.allowedClients = allowedClients;
    this.secretHeader = secretHeader;
    this.secretValue = secretValue;
    this.serverId = serverId;
    this.clock = clock;
    this.sink = sink;
  }

  /** Name of the shared-secret header, or null when none is required. */
  public String secretHeader() {
    return secretHeader;
  }

  /**
   * Handles one request.
   *
   * @param secret the value of the secret header as sent, or null
   */
  public Response handle(String command, byte[] body, String remoteAddress, String secret) {
    if (!allowed(remoteAddress)) {
      return error(
          403, "client " + remoteAddress + " is not allowed (loopback or allowed networks only)");
    }
    if (secretHeader != null
        && (secret == null
            || !MessageDigest.isEqual(
                secret.getBytes(StandardCharsets.UTF_8),
                secretValue.getBytes(StandardCharsets.UTF_8)))) {
      return error(401, "missing or wrong " + secretHeader + " header");
    }
    if (body.length > MAX_BODY_BYTES) {
      return error(413, "body of " + body.length + " bytes exceeds " + MAX_BODY_BYTES);
    }
    if ("allow".equals(command)) {
      return new Response(200, OK);
    }
    if (!"report".equals(command)) {
      return error(400, "command '" + command + "' is not allow or report");
    }
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      return error(400, "body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      return error(400, "body unreadable: " + e.getMessage());
    }
    if (json == null || !json.isObject()) {
      return error(400, "body must be a JSON object");
    }
    String login = text(json, "login");
    String remote = text(json, "remote");
    JsonNode success = json.get("success");
    if (login == null || remote == null || success == null || !success.isBoolean()) {
      return error(400, "a report needs login, remote and a boolean success");
    }
    String clientIp;
    try {
      clientIp = IpAddress.parse(remote).toString();
    } catch (InvalidAddressException e) {
      return error(400, "remote: " + e.getMessage());
    }
    boolean rejected = json.path("policy_reject").asBoolean(false);
    String session = text(json, "session_id");
    String server = text(json, "server");
    LoginEvent event =
        LoginEvent.newBuilder()
            .setEventId(
                session == null
                    ? UUID.randomUUID().toString()
                    : "dovecot:"
                        + (server == null ? serverId : server)
                        + ":"
                        + session
                        + ":"
                        + (success.booleanValue() ? "ok" : "fail"))
            .setEventTime(clock.instant())
            .setClientIp(clientIp)
            .setUsername(login)
            .setProtocol(protocol(text(json, "protocol")))
            .setKind(LoginKind.LOGIN)
            .setOutcome(success.booleanValue() && !rejected ? Outcome.SUCCESS : Outcome.FAILURE)
            .setServerId(server == null ? serverId : server)
            .setSource("dovecot-policy")
            .setSessionId(session)
            .build();
    sink.submit(event);
    // always status 0: a full queue is counted and logged by the publisher, never the user's fault
    return new Response(200, OK);
  }

  private boolean allowed(String remoteAddress) {
    try {
      IpAddress address = IpAddress.parse(remoteAddress);
      return address.isLoopback() || allowedClients.contains(address);
    } catch (InvalidAddressException e) {
      return false;
    }
  }

  static Protocol protocol(String name) {
    if (name == null) {
      return Protocol.UNKNOWN;
    }
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "pop3" -> Protocol.POP3;
      case "imap" -> Protocol.IMAP;
      case "submission" -> Protocol.SUBMISSION;
      default -> Protocol.OTHER;
    };
  }

  private static String text(JsonNode json, String field) {
    JsonNode n = json.get(field);
    return n == null || n.isNull() || n.asText().isEmpty() ? null : n.asText();
  }

  private static Response error(int status, String reason) {
    return new Response(
        status, JSON.createObjectNode().put("status", 0).put("error", reason).toString());
  }
}
