package org.popbeforesmtp.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.net.CidrSet;

class DovecotPolicyEndpointTest {
  /** What Dovecot 2.3 sent here, verbatim (../shared/peers). */
  private static final String REPORT =
      "{\"device_id\":\"\",\"local\":\"127.0.0.1\",\"login\":\"alice\",\"protocol\":\"pop3\","
          + "\"pwhash\":\"0864\",\"remote\":\"127.0.0.5\",\"session_id\":\"TaL/7ixhLbN/AAAF\","
          + "\"success\":true,\"policy_reject\":false,\"tls\":false}";

  private static final Instant NOW = Instant.parse("2026-11-26T12:17:56.123Z");
  private final List<LoginEvent> events = new ArrayList<>();
  private final DovecotPolicyEndpoint endpoint =
      new DovecotPolicyEndpoint(
          CidrSet.parse("192.0.2.0/24"),
          null,
          null,
          "pop-01",
          Clock.fixed(NOW, ZoneOffset.UTC),
          events::add);

  private DovecotPolicyEndpoint.Response post(String command, String body, String remote) {
    return endpoint.handle(command, body.getBytes(StandardCharsets.UTF_8), remote, null);
  }

  @Test
  void shouldTurnASuccessfulReportIntoALoginEvent() {
    DovecotPolicyEndpoint.Response r = post("report", REPORT, "127.0.0.1");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"status\":0}");
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getEventId()).isEqualTo("dovecot:pop-01:TaL/7ixhLbN/AAAF:ok");
              assertThat(e.getEventTime()).isEqualTo(NOW);
              assertThat(e.getClientIp()).isEqualTo("127.0.0.5");
              assertThat(e.getUsername()).isEqualTo("alice");
              assertThat(e.getProtocol()).isEqualTo(Protocol.POP3);
              assertThat(e.getKind()).isEqualTo(LoginKind.LOGIN);
              assertThat(e.getOutcome()).isEqualTo(Outcome.SUCCESS);
              assertThat(e.getSource()).isEqualTo("dovecot-policy");
              assertThat(e.toString()).doesNotContain("0864");
            });
  }

  @Test
  void shouldRecordFailuresAndPolicyRejectsAsFailure() {
    post("report", REPORT.replace("\"success\":true", "\"success\":false"), "127.0.0.1");
    post("report", REPORT.replace("\"policy_reject\":false", "\"policy_reject\":true"), "::1");
    assertThat(events)
        .extracting(LoginEvent::getOutcome)
        .containsExactly(Outcome.FAILURE, Outcome.FAILURE);
  }

  @Test
  void shouldAllowAtOnceAndNeverPublishOnAllow() {
    String allow = REPORT.replace(",\"success\":true,\"policy_reject\":false", "");
    assertThat(post("allow", allow, "127.0.0.1"))
        .isEqualTo(new DovecotPolicyEndpoint.Response(200, "{\"status\":0}"));
    assertThat(events).isEmpty();
  }

  @Test
  void shouldRefuseBadRequestsWithAReasonAndPublishNothing() {
    assertThat(post("report", "not json", "127.0.0.1").status()).isEqualTo(400);
    assertThat(post("report", "[1,2]", "127.0.0.1").status()).isEqualTo(400);
    assertThat(post("report", "{\"login\":\"alice\",\"remote\":\"127.0.0.5\"}", "127.0.0.1").body())
        .contains("boolean success");
    assertThat(post("report", REPORT.replace("127.0.0.5", "mail.example.com"), "127.0.0.1").body())
        .contains("mail.example.com");
    assertThat(post("delete", REPORT, "127.0.0.1").status()).isEqualTo(400);
    assertThat(post("report", "{\"x\":\"" + "a".repeat(20_000) + "\"}", "127.0.0.1").status())
        .isEqualTo(413);
    assertThat(events).isEmpty();
  }

  @Test
  void shouldAcceptOnlyLoopbackOrAllowedNetworks() {
    assertThat(post("report", REPORT, "198.51.100.7").status()).isEqualTo(403);
    assertThat(post("report", REPORT, "192.0.2.9").status()).isEqualTo(200);
    assertThat(events).hasSize(1);
  }

  @Test
  void shouldRequireTheSharedSecretWhenConfigured() {
    DovecotPolicyEndpoint secured =
        new DovecotPolicyEndpoint(
            CidrSet.empty(), "X-API-Key", "s3cret", "pop-01", Clock.systemUTC(), events::add);
    byte[] body = REPORT.getBytes(StandardCharsets.UTF_8);
    assertThat(secured.handle("report", body, "127.0.0.1", null).status()).isEqualTo(401);
    assertThat(secured.handle("report", body, "127.0.0.1", "wrong").status()).isEqualTo(401);
    assertThat(secured.handle("report", body, "127.0.0.1", "s3cret").status()).isEqualTo(200);
    assertThat(events).hasSize(1);
  }
}
