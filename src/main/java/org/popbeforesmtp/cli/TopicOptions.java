package org.popbeforesmtp.cli;

import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How topics are created, shared by {@code processor} and {@code topics}: unset options fall back
 * to the config file, the environment, then the built-in defaults.
 */
final class TopicOptions {
  @Option(names = "--partitions", description = "Partitions of topics created (default 12).")
  String partitions;

  @Option(
      names = "--replication-factor",
      description = "Replication factor of topics created (default: the broker's).")
  String replicationFactor;

  /** Puts the options given into {@code flags} under their setting names. */
  void putInto(Map<String, String> flags) {
    flags.put("partitions", partitions);
    flags.put("replication.factor", replicationFactor);
  }
}
