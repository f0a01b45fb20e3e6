package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.config.Hosts;
import org.popbeforesmtp.testing.Commands;

/** The log agents' defaults work without flags or root, and bad values are named. */
class LogOptionsTest {
  @TempDir Path home;

  @Test
  void shouldDefaultTheServerIdToTheHostName() {
    LogOptions log = new LogOptions();
    assertThat(log.serverId()).isEqualTo(Hosts.localName()).isNotBlank();
    log.serverId = "pop-01";
    assertThat(log.serverId()).isEqualTo("pop-01");
  }

  @Test
  void shouldKeepCheckpointsInTheUsersStateDirectoryWhenNotRoot() {
    String user = System.getProperty("user.name");
    String userHome = System.getProperty("user.home");
    try {
      System.setProperty("user.name", "mailadm");
      System.setProperty("user.home", home.toString());
      Path dir = LogOptions.defaultStateDir("tail");
      if (!Files.isWritable(Path.of("/var/lib/pop-before-smtp"))) {
        assertThat(dir).isIn(home.resolve(".local/state/pop-before-smtp/tail"), xdg());
      }
      System.setProperty("user.name", "root");
      assertThat(LogOptions.defaultStateDir("tail"))
          .isEqualTo(Path.of("/var/lib/pop-before-smtp/tail"));
    } finally {
      System.setProperty("user.name", user);
      System.setProperty("user.home", userHome);
    }
  }

  private static Path xdg() {
    String xdg = System.getenv("XDG_STATE_HOME");
    return xdg == null ? null : Path.of(xdg, "pop-before-smtp", "tail");
  }

  @Test
  void shouldNameABadZoneBeforeStartingAnything() {
    Commands.Result r =
        Commands.execute(
            "tail",
            "--bootstrap-servers",
            "127.0.0.1:9",
            "--schema-registry-url",
            "mock://log-options",
            "--zone",
            "Mars/Olympus",
            "/nonexistent/mail.log");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--zone 'Mars/Olympus' is not a time zone");
  }
}
