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
import org.popbeforesmtp.testing.Exim;
import org.popbeforesmtp.testing.KafkaBroker;
import org.popbeforesmtp.testing.MtaPackages;
import org.popbeforesmtp.testing.ProcessorFixture;
import org.popbeforesmtp.testing.Sendmail;
import org.popbeforesmtp.testing.Swaks;
import org.popbeforesmtp.testing.TestEvents;

/**
 * End to end with real sendmail (the shipped hack asking the edge's socketmap) and real Exim (the
 * README's ACL asking the edge's whoson server over readsocket): a login published to the broker
 * becomes a grant; both relay for that client only, until the grant expires; and when the edge
 * stops answering nobody relays (sendmail denies, Exim defers).
 */
@ExtendWith(KafkaBroker.class)
class SendmailEximEdgeIT {
  @TempDir Path dir;

  @Test
  void sendmailAndEximRelayOnlyForAGrantedClientUntilTheGrantExpires() throws Exception {
    // CI unpacks both (.ci/run calls .ci/mta-packages); elsewhere the test says what is missing
    assumeTrue(
        (MtaPackages.sendmailInstalled() && MtaPackages.eximInstalled())
            || System.getenv("CI") != null,
        MtaPackages.howToInstall());
    try (ProcessorFixture f = new ProcessorFixture();
        ProcessorApp processor =
            ProcessorApp.start(f.config(dir.resolve("state"), Map.of("ttl", "15s")))) {
      EdgeApp edge = EdgeApp.start(f.edgeConfig());
      try (Sendmail sendmail =
          Sendmail.start(dir.resolve("sendmail"), edge.port(SocketmapProtocol.NAME))) {
        Exim exim = Exim.configure(dir.resolve("exim"), edge.port(WhosonProtocol.NAME));
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    processor.streams().state() == KafkaStreams.State.RUNNING
                        && edge.cache().isReady());

        f.send(TestEvents.login(Instant.now()).setClientIp("127.0.0.5").build());
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> edge.cache().check("127.0.0.5").granted());

        Swaks granted = sendmail.relay("127.0.0.5");
        assertThat(granted.accepted()).as(granted.transcript() + sendmail.output()).isTrue();
        Swaks other = sendmail.relay("127.0.0.6");
        assertThat(other.exitCode()).as(other.transcript()).isEqualTo(24);
        assertThat(other.transcript()).contains("550 5.7.1").contains("Relaying denied");
        assertThat(exim.rcptReply("127.0.0.5")).isEqualTo("250 Accepted");
        assertThat(exim.rcptReply("127.0.0.6")).isEqualTo("550 relay not permitted");

        await()
            .atMost(Duration.ofSeconds(40))
            .until(() -> !edge.cache().check("127.0.0.5").granted());
        Swaks expired = sendmail.relay("127.0.0.5");
        assertThat(expired.transcript()).as("expired").contains("Relaying denied");
        assertThat(exim.rcptReply("127.0.0.5")).as("expired").isEqualTo("550 relay not permitted");

        // a live grant, then the edge goes away: nobody relays on an error
        f.send(TestEvents.login(Instant.now()).setClientIp("127.0.0.5").build());
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> edge.cache().check("127.0.0.5").granted());
        assertThat(sendmail.relay("127.0.0.5").accepted()).as("granted again").isTrue();
        edge.close();
        Swaks down = sendmail.relay("127.0.0.5");
        assertThat(down.transcript()).as("edge down").contains("Relaying denied");
        assertThat(exim.rcptReply("127.0.0.5"))
            .as("edge down")
            .isEqualTo("451 relay check unavailable, try again later");
      } finally {
        edge.close();
      }
    }
  }
}
