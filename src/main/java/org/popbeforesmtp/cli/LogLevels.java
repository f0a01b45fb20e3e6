package org.popbeforesmtp.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Log levels from the command line and the environment, set before the first logger exists: {@code
 * PBS_LOG_LEVEL} (trace, debug, info, warn, error) for this program's own lines, and {@code
 * --verbose} for debug lines of this program and the Kafka clients' info lines. The defaults (info
 * for this program, warn for Kafka, none of the clients' connection warnings: every command says
 * itself, once a minute, that it cannot reach Kafka) keep an operator's log readable.
 */
public final class LogLevels {
  static final String VERBOSE = "--verbose";
  private static final List<String> LEVELS = List.of("trace", "debug", "info", "warn", "error");

  private LogLevels() {}

  /**
   * Sets the levels for this run.
   *
   * @return a problem to report (an unknown PBS_LOG_LEVEL), or null
   */
  public static String apply(String[] args, Map<String, String> env) {
    String problem = null;
    String level = env.get("PBS_LOG_LEVEL");
    if (level != null && !level.isBlank()) {
      String l = level.strip().toLowerCase(Locale.ROOT);
      if (LEVELS.contains(l)) {
        System.setProperty("org.slf4j.simpleLogger.log.org.popbeforesmtp", l);
      } else {
        problem = "PBS_LOG_LEVEL '" + level + "' is not one of " + LEVELS + "; using info";
      }
    }
    if (List.of(args).contains(VERBOSE)) {
      System.setProperty("org.slf4j.simpleLogger.log.org.popbeforesmtp", "debug");
      System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "info");
      // the connection warnings every command leaves out by default (each says it itself)
      System.setProperty(
          "org.slf4j.simpleLogger.log.org.apache.kafka.clients.NetworkClient", "info");
    }
    return problem;
  }
}
