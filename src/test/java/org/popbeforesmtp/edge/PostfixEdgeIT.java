package org.popbeforesmtp.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.runtime.EdgeApp;
import org.popbeforesmtp.runtime.ProcessorApp;
import org.popbeforesmtp.testing.KafkaBroker;
import org.popbeforesmtp.testing.Postfix;
import org.popbeforesmtp.testing.ProcessorFixture;
import org.popbeforesmtp.testing.Swaks;
import org.popbeforesmtp.testing.TestEvents;

/**
 * End to end with real Postfix: a login published to the broker becomes a grant in the processor,
 * reaches the edge through relay.grants, and Postfix relays for that client only, through policy
 * delegation and through socketmap, until the grant expires.
 */
@ExtendWith(KafkaBroker.class)
class PostfixEdgeIT {
  @TempDir Path dir;

  @Test
  void postfixRelaysOnlyForAGrantedClientUntilTheGrantExpires() throws Exception {
    // CI installs Postfix (.ci/run); elsewhere the test needs it too, but says so instead of
    // failing
    assumeTrue(
        Postfix.installed() || System.getenv("CI") != null,
        "postfix and swaks are not installed (apt-get install postfix swaks)");
    try (ProcessorFixture f = new ProcessorFixture();
        ProcessorApp processor =
            ProcessorApp.start(f.config(dir.resolve("state"), Map.of("ttl", "15s")));
        EdgeApp edge = EdgeApp.start(f.edgeConfig());
        Postfix postfix =
            Postfix.start(dir.resolve("postfix"), edge.port("policy"), edge.port("socketmap"))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  processor.streams().state() == KafkaStreams.State.RUNNING
                      && edge.cache().isReady());

      f.send(TestEvents.login(Instant.now()).setClientIp("127.0.0.5").build());
      await().atMost(Duration.ofSeconds(20)).until(() -> edge.cache().check("127.0.0.5").granted());

      for (int smtp : new int[] {postfix.policySmtpPort, postfix.socketmapSmtpPort}) {
        Swaks granted = postfix.relay(smtp, "127.0.0.5");
        assertThat(granted.accepted())
            .as("exit " + granted.exitCode() + "\n" + granted.transcript() + postfix.log())
            .isTrue();
        Swaks other = postfix.relay(smtp, "127.0.0.6");
        assertThat(other.exitCode()).as(other.transcript()).isEqualTo(24);
        assertThat(other.transcript()).contains("554 5.7.1").contains("Relay access denied");
      }

      await()
          .atMost(Duration.ofSeconds(40))
          .until(() -> !edge.cache().check("127.0.0.5").granted());
      for (int smtp : new int[] {postfix.policySmtpPort, postfix.socketmapSmtpPort}) {
        Swaks expired = postfix.relay(smtp, "127.0.0.5");
        assertThat(expired.exitCode()).as(expired.transcript()).isEqualTo(24);
        assertThat(expired.transcript()).contains("Relay access denied");
      }
    }
  }
}
