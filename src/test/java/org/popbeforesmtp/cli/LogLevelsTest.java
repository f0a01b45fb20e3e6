package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Log levels from PBS_LOG_LEVEL and --verbose, set before the first logger exists. */
class LogLevelsTest {
  private static final String OURS = "org.slf4j.simpleLogger.log.org.popbeforesmtp";
  private static final String KAFKA = "org.slf4j.simpleLogger.log.org.apache.kafka";
  private static final String NETWORK =
      "org.slf4j.simpleLogger.log.org.apache.kafka.clients.NetworkClient";

  @AfterEach
  void clear() {
    System.clearProperty(OURS);
    System.clearProperty(KAFKA);
    System.clearProperty(NETWORK);
  }

  @Test
  void shouldSetThisProgramsLevelFromTheEnvironment() {
    assertThat(LogLevels.apply(new String[] {"edge"}, Map.of("PBS_LOG_LEVEL", "DEBUG"))).isNull();
    assertThat(System.getProperty(OURS)).isEqualTo("debug");
    assertThat(System.getProperty(NETWORK))
        .as("a server keeps Kafka's connection warnings")
        .isNull();
  }

  @Test
  void shouldNameAnUnknownLevel() {
    assertThat(LogLevels.apply(new String[] {"edge"}, Map.of("PBS_LOG_LEVEL", "loud")))
        .contains("PBS_LOG_LEVEL 'loud' is not one of");
    assertThat(System.getProperty(OURS)).isNull();
  }

  @Test
  void shouldOpenUpWithVerbose() {
    LogLevels.apply(new String[] {"publish", "--verbose"}, Map.of());
    assertThat(System.getProperty(OURS)).isEqualTo("debug");
    assertThat(System.getProperty(KAFKA)).isEqualTo("info");
    assertThat(System.getProperty(NETWORK)).isEqualTo("info");
  }
}
