package org.popbeforesmtp.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.popbeforesmtp.config.ShipperConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where the login-shipping commands ({@code publish}, {@code tail}, {@code import}) write, read
 * like the servers' settings: {@code --config}, {@code PBS_*}, flags ({@link ClusterOptions}) and
 * the topic.
 */
final class ShipperOptions {
  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(
      names = {"--logins-topic", "--topic"},
      description = "Topic of login events (default mail.logins; --topic is the older name).")
  String loginsTopic;

  /**
   * The settings: {@code defaults} &lt; the {@code --config} file &lt; the environment &lt; {@code
   * flags} (only those given) and this mixin's.
   */
  ShipperConfig config(Map<String, String> defaults, Map<String, String> flags) {
    Map<String, String> all = new LinkedHashMap<>(flags);
    all.put("topic.logins", loginsTopic);
    return ShipperConfig.from(cluster.load(ShipperConfig.SETTINGS, defaults, env, all));
  }

  /** The process environment (a test gives its own). */
  Map<String, String> env = System.getenv();
}
