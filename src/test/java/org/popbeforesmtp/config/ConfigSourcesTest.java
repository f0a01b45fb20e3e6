package org.popbeforesmtp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.text.Durations;

class ConfigSourcesTest {
  @TempDir Path dir;

  @Test
  void shouldApplyDefaultsThenFileThenEnvironmentThenFlags() throws Exception {
    Path file = dir.resolve("p.properties");
    Files.writeString(
        file,
        "ttl=10m\nhttp.port=9000\npartitions=6\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n");
    Map<String, String> env =
        Map.of(
            "PBS_HTTP_PORT", "9100",
            "PBS_PARTITIONS", "8",
            "PBS_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
            "HOME", "/root");
    Map<String, String> flags = new HashMap<>();
    flags.put("partitions", "24");
    flags.put("ttl", null);

    ConfigSources sources =
        ConfigSources.load(
            ProcessorConfig.SETTINGS,
            ProcessorConfig.DEFAULTS,
            file,
            env,
            flags,
            Map.of("linger.ms", "5"));

    assertThat(sources.get("ttl")).as("file over default").isEqualTo("10m");
    assertThat(sources.get("http.port")).as("env over file").isEqualTo("9100");
    assertThat(sources.get("partitions")).as("flag over env").isEqualTo("24");
    assertThat(sources.get("max.future.skew")).as("default").isEqualTo("2m");
    assertThat(sources.kafka())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("linger.ms", "5")
        .doesNotContainKey("home");
  }

  @Test
  void shouldNameAMissingRequiredSettingAndHowToGiveIt() {
    ConfigSources sources =
        ConfigSources.of(ProcessorConfig.SETTINGS, ProcessorConfig.DEFAULTS, Map.of(), Map.of());
    assertThatThrownBy(() -> ProcessorConfig.from(sources))
        .hasMessageContaining("bootstrap.servers is required")
        .hasMessageContaining("--bootstrap-servers")
        .hasMessageContaining("PBS_BOOTSTRAP_SERVERS");
  }

  @Test
  void shouldBuildTheGrantPolicyFromSettings() {
    Map<String, String> flags =
        Map.of(
            "bootstrap.servers", "k:9092",
            "schema.registry.url", "http://r:8081",
            "ttl", "45m",
            "ipv6.prefix.length", "64",
            "never.grant", "100.64.0.0/10",
            "max.users.per.key", "5");
    ProcessorConfig config =
        ProcessorConfig.from(
            ConfigSources.of(ProcessorConfig.SETTINGS, ProcessorConfig.DEFAULTS, flags, Map.of()));
    assertThat(config.policy().ttl()).isEqualTo(Duration.ofMinutes(45));
    assertThat(config.policy().keys().keyOf("2001:db8:1:2::9")).isEqualTo("2001:db8:1:2::/64");
    assertThat(config.policy().maxUsersPerKey()).isEqualTo(5);
    assertThat(config.topics()).isEqualTo(Topics.defaults());
    assertThat(config.partitions()).isEqualTo(12);
  }

  @Test
  void shouldParseOperatorDurationsAndNameBadOnes() {
    assertThat(Durations.parse("ttl", "30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(Durations.parse("ttl", "10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("ttl", "250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("ttl", "2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("ttl", "PT30M")).isEqualTo(Duration.ofMinutes(30));
    assertThatThrownBy(() -> Durations.parse("ttl", "thirty minutes"))
        .hasMessageContaining("ttl 'thirty minutes'")
        .hasMessageContaining("30m");
  }
}
