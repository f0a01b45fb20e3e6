package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.testing.Commands;
import org.popbeforesmtp.text.Instants;

class PublishCommandTest {
  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void shouldParseInstantsAndRelativeTimesAsEveryCommandDoes() {
    assertThat(Instants.parse("--at", "now", NOW)).isEqualTo(NOW);
    assertThat(Instants.parse("--at", "-5m", NOW)).isEqualTo(NOW.minusSeconds(300));
    assertThat(Instants.parse("--at", "2026-11-25T08:00:00Z", NOW))
        .isEqualTo(Instant.parse("2026-11-25T08:00:00Z"));
    assertThatThrownBy(() -> Instants.parse("--at", "yesterday", NOW))
        .hasMessageContaining("--at 'yesterday' is not an instant");
  }

  /** Publishes alice's login with {@code args} to a broker that is not there. */
  private static Commands.Result publish(String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "publish",
                "--bootstrap-servers",
                "127.0.0.1:1",
                "--schema-registry-url",
                "mock://x",
                "--user",
                "alice"));
    all.addAll(List.of(args));
    return Commands.execute(all.toArray(String[]::new));
  }

  @Test
  void shouldExitTwoOnAnInvalidAddressNamingIt() {
    Commands.Result r = publish("--ip", "mail.example.com");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("mail.example.com");
  }

  @Test
  void shouldRefuseAnEventTimeBeyondTheAllowedSkewInsteadOfReportingSuccess() {
    Commands.Result r = publish("--ip", "192.0.2.1", "--at", "+10m");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("in the future (now ")
        .contains("more than 2m ahead (max.future.skew)");
  }
}
