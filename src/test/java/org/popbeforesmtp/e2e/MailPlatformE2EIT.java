package org.popbeforesmtp.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.runtime.DevStack;
import org.popbeforesmtp.testing.Commands;
import org.popbeforesmtp.testing.Dovecot;
import org.popbeforesmtp.testing.Postfix;
import org.popbeforesmtp.testing.Swaks;

/**
 * The whole mail platform: the {@code dev} stack (embedded broker, dev registry, processor, edge,
 * ingest), real Dovecot reporting logins with the lines {@code dev} prints, real Postfix asking the
 * edge with the lines {@code dev} prints, and {@code audit} naming the login that allowed a relay.
 */
class MailPlatformE2EIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void popLoginLetsThatAddressRelayUntilTheTtlAndAuditNamesTheLogin() throws Exception {
    // CI installs both (.ci/run); elsewhere the test says what is missing instead of failing
    assumeTrue(
        (Postfix.installed() && Dovecot.installed()) || System.getenv("CI") != null,
        "needs postfix, swaks and dovecot-pop3d (apt-get install postfix swaks dovecot-pop3d)");
    try (DevStack stack =
            DevStack.start(
                new DevStack.Settings(
                    dir.resolve("dev"), true, 0, 0, 0, 0, 0, Map.of(), Map.of("ttl", "6s")));
        Dovecot dovecot =
            Dovecot.start(
                dir.resolve("dovecot"),
                "http://127.0.0.1:" + stack.ingest().httpPort() + "/v1/dovecot-policy");
        Postfix postfix =
            Postfix.start(
                dir.resolve("postfix"),
                stack.edge().port("policy"),
                stack.edge().port("socketmap"))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> stack.edge().cache().isReady());
      int smtp = postfix.policySmtpPort;

      assertThat(dovecot.pop3Login("127.0.0.6", "bob", "wrong")).as("bad password").isFalse();
      Instant before = Instant.now();
      assertThat(dovecot.pop3Login("127.0.0.5", "alice", "secret")).as(dovecot.log()).isTrue();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> stack.edge().cache().check("127.0.0.5").granted());
      Instant inside = Instant.now();

      Swaks granted = postfix.relay(smtp, "127.0.0.5");
      assertThat(granted.accepted()).as(granted.transcript() + postfix.log()).isTrue();
      Swaks other = postfix.relay(smtp, "127.0.0.6");
      assertThat(other.exitCode()).as(other.transcript()).isEqualTo(24);
      assertThat(other.transcript()).contains("Relay access denied");

      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !stack.edge().cache().check("127.0.0.5").granted());
      Swaks expired = postfix.relay(smtp, "127.0.0.5");
      assertThat(expired.exitCode()).as(expired.transcript()).isEqualTo(24);
      assertThat(expired.transcript()).contains("Relay access denied");

      String[] where = {
        "--bootstrap-servers",
        stack.kafka().bootstrapServers(),
        "--schema-registry-url",
        stack.registry().url(),
        "--ttl",
        "6s",
        "--format",
        "json"
      };
      JsonNode allowed =
          JSON.readTree(
              Commands.run(
                  concat(
                      new String[] {"audit", "ip", "127.0.0.5", "--at", inside.toString()},
                      where)));
      JsonNode verdict = allowed.get("verdict");
      assertThat(verdict.get("allowed").asBoolean()).as(allowed.toString()).isTrue();
      assertThat(verdict.get("username").asText()).isEqualTo("alice");
      assertThat(verdict.get("protocol").asText()).isEqualTo("POP3");
      assertThat(verdict.get("eventId").asText()).startsWith("dovecot:").endsWith(":ok");
      assertThat(Instant.parse(verdict.get("eventTime").asText()))
          .isAfterOrEqualTo(before.minusMillis(1));

      JsonNode refused =
          JSON.readTree(
              Commands.run(
                  concat(
                      new String[] {"audit", "ip", "127.0.0.6", "--at", inside.toString()},
                      where)));
      assertThat(refused.get("verdict").get("allowed").asBoolean()).isFalse();
      assertThat(refused.get("refusals").get(0).get("reason").asText()).isEqualTo("not-successful");
      assertThat(refused.get("refusals").get(0).get("username").asText()).isEqualTo("bob");
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
