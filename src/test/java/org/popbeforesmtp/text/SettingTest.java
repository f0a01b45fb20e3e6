package org.popbeforesmtp.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a setting's declaration makes: its variable, flag, help and README row. */
class SettingTest {
  @Test
  void aSettingMakesItsVariableFlagHelpAndReadmeRow() {
    Setting port = Setting.of("http.port", "8080", "HTTP API port (`0` = any free port)");
    assertThat(port.env()).isEqualTo("PBS_HTTP_PORT");
    assertThat(port.flag()).isEqualTo("--http-port");
    assertThat(port.help()).isEqualTo("HTTP API port (0 = any free port) (default 8080).");
    assertThat(port.readmeRow())
        .isEqualTo(
            "| `http.port` | `PBS_HTTP_PORT` | `--http-port` | `8080` | HTTP API port (`0` = any"
                + " free port) |");
  }

  @Test
  void requiredStatedAndFlaglessSettingsSayWhatTheyAre() {
    assertThat(Setting.required("bootstrap.servers", "Kafka brokers").help())
        .isEqualTo("Kafka brokers (required).");
    assertThat(Setting.of("never.grant", "", "CIDRs that never grant").help())
        .isEqualTo("CIDRs that never grant (default none).");
    assertThat(
            Setting.of("server.id", "mx1", "`serverId` of the events")
                .shown("this host's name")
                .help())
        .isEqualTo("ServerId of the events (default this host's name).");
    Setting grace = Setting.of("grace", "1m", "extra retention").withFlag("");
    assertThat(grace.hasFlag()).isFalse();
    assertThat(grace.readmeRow()).contains("| `PBS_GRACE` | (none) | `1m` |");
  }

  @Test
  void anOlderFlagNameIsAcceptedAndSaid() {
    Setting topic =
        Setting.of("topic.logins", "mail.logins", "where login events go")
            .withFlag("--logins-topic")
            .withAliases("--topic");
    assertThat(topic.flags()).containsExactly("--logins-topic", "--topic");
    assertThat(topic.help())
        .isEqualTo("Where login events go (default mail.logins; --topic is the older name).");
    assertThat(Setting.defaults(List.of(topic, Setting.of("zone", "UTC", "zone"))))
        .containsExactly(Map.entry("topic.logins", "mail.logins"), Map.entry("zone", "UTC"));
  }
}
