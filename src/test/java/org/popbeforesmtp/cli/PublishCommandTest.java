package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PublishCommandTest {
  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void shouldParseInstantsAndRelativeTimes() {
    assertThat(PublishCommand.parseTime(null, NOW)).isEqualTo(NOW);
    assertThat(PublishCommand.parseTime("-5m", NOW)).isEqualTo(NOW.minusSeconds(300));
    assertThat(PublishCommand.parseTime("2026-11-25T08:00:00Z", NOW))
        .isEqualTo(Instant.parse("2026-11-25T08:00:00Z"));
    assertThatThrownBy(() -> PublishCommand.parseTime("yesterday", NOW))
        .hasMessageContaining("yesterday");
  }

  @Test
  void shouldExitTwoOnAnInvalidAddressNamingIt() {
    StringWriter err = new StringWriter();
    CommandLine cli = RootCommand.newCommandLine();
    cli.setErr(new PrintWriter(err));
    int code =
        cli.execute(
            "publish",
            "--bootstrap-servers",
            "127.0.0.1:1",
            "--schema-registry-url",
            "mock://x",
            "--user",
            "alice",
            "--ip",
            "mail.example.com");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("mail.example.com");
  }

  @Test
  void shouldRefuseAnEventTimeBeyondTheAllowedSkewInsteadOfReportingSuccess() {
    StringWriter err = new StringWriter();
    CommandLine cli = RootCommand.newCommandLine();
    cli.setErr(new PrintWriter(err));
    int code =
        cli.execute(
            "publish",
            "--bootstrap-servers",
            "127.0.0.1:1",
            "--schema-registry-url",
            "mock://x",
            "--user",
            "alice",
            "--ip",
            "192.0.2.1",
            "--at",
            "+10m");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains("in the future (now ")
        .contains("more than 2m ahead (max.future.skew)");
  }
}
