package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.config.Hosts;
import org.popbeforesmtp.config.ShipperConfig;
import org.popbeforesmtp.testing.Commands;
import picocli.CommandLine;

/** The log agents' defaults work without flags or root, and bad values are named. */
class LogOptionsTest {
  @TempDir Path home;

  @Test
  void shouldDefaultTheServerIdToTheHostName() {
    TailCommand tail = new TailCommand();
    new CommandLine(tail)
        .parseArgs(
            "--bootstrap-servers", "kafka:9092", "--schema-registry-url", "mock://t", "mail.log");
    tail.env = Map.of();
    ShipperConfig config = tail.config();
    assertThat(config.serverId()).isEqualTo(Hosts.localName()).isNotBlank();
    assertThat(config.zone()).isEqualTo(ZoneId.systemDefault());
    assertThat(config.stateDir()).as("the command's own default").isNull();
    assertThat(config.pollInterval()).isEqualTo(Duration.ofMillis(200));
    assertThat(config.loginsTopic()).isEqualTo("mail.logins");
  }

  @Test
  void shouldReadTheTailAgentsSettingsLikeTheServers() throws IOException {
    Path file = home.resolve("tail.properties");
    Files.writeString(
        file,
        "bootstrap.servers=kafka:9092\nschema.registry.url=http://registry:8081\n"
            + "server.id=pop-07\nzone=UTC\nlinger.ms=5\n");
    TailCommand tail = new TailCommand();
    new CommandLine(tail)
        .parseArgs("--config", file.toString(), "--zone", "Europe/Berlin", "mail.log");
    tail.env =
        Map.of("PBS_SERVER_ID", "pop-08", "PBS_POLL_INTERVAL", "1s", "PBS_KAFKA_ACKS", "all");
    ShipperConfig config = tail.config();
    assertThat(config.bootstrapServers()).isEqualTo("kafka:9092");
    assertThat(config.serverId()).as("the environment over the file").isEqualTo("pop-08");
    assertThat(config.zone()).as("the flag over the file").isEqualTo(ZoneId.of("Europe/Berlin"));
    assertThat(config.pollInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.clientProperties())
        .containsEntry("bootstrap.servers", "kafka:9092")
        .containsEntry("linger.ms", "5")
        .containsEntry("acks", "all");
  }

  @Test
  void shouldTakeTheOlderTopicFlagAndPublishsOwnServerId() {
    PublishCommand publish = new PublishCommand();
    new CommandLine(publish)
        .parseArgs(
            "--bootstrap-servers",
            "kafka:9092",
            "--schema-registry-url",
            "mock://p",
            "--topic",
            "pop.logins",
            "--user",
            "alice",
            "--ip",
            "203.0.113.5");
    publish.env = Map.of();
    ShipperConfig config = publish.config();
    assertThat(config.loginsTopic()).isEqualTo("pop.logins");
    assertThat(config.serverId()).isEqualTo("cli");
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
    assertThat(r.err()).contains("zone 'Mars/Olympus' is not a time zone");
  }
}
