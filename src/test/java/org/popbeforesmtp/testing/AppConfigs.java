package org.popbeforesmtp.testing;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.edge.EdgeProtocol;
import org.popbeforesmtp.grants.Topics;

/** Configs of the apps as tests start them: on loopback, every port free. */
public final class AppConfigs {
  private AppConfigs() {}

  /**
   * An edge reading {@code grantsTopic}, every protocol and HTTP on a free port.
   *
   * @param kafka Kafka client settings passed through (security, ...)
   */
  public static EdgeConfig edge(
      String bootstrap, String registryUrl, String grantsTopic, Map<String, String> kafka) {
    Map<String, String> e = new HashMap<>();
    e.put("bootstrap.servers", bootstrap);
    e.put("schema.registry.url", registryUrl);
    e.put("topic.grants", grantsTopic);
    e.put("http.port", "0");
    EdgeProtocol.all().forEach(p -> e.put(p.port().name(), "0"));
    return EdgeConfig.from(ConfigSources.of(EdgeConfig.SETTINGS, EdgeConfig.DEFAULTS, e, kafka));
  }

  /** The settings that name {@code topics} (for a processor, or the audit command). */
  public static Map<String, String> topicSettings(Topics topics) {
    return Map.of(
        "topic.logins", topics.logins(),
        "topic.grants", topics.grants(),
        "topic.revocations", topics.revocations(),
        "topic.dead.letters", topics.deadLetters());
  }

  /** {@code settings} plus the names of {@code topics}. */
  public static Map<String, String> withTopics(Topics topics, Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(topicSettings(topics));
    all.putAll(settings);
    return all;
  }

  /**
   * A processor with its API on a free loopback port and {@code settings} (partitions, ttl, ...)
   * over the defaults.
   */
  public static ProcessorConfig processor(
      String bootstrap,
      String registryUrl,
      String applicationId,
      Path stateDir,
      Map<String, String> settings,
      Map<String, String> kafka) {
    Map<String, String> p = new HashMap<>();
    p.put("bootstrap.servers", bootstrap);
    p.put("schema.registry.url", registryUrl);
    p.put("application.id", applicationId);
    p.put("state.dir", stateDir.toString());
    p.put("http.host", "127.0.0.1");
    p.put("http.port", "0");
    p.put("advertised.host", "127.0.0.1");
    p.putAll(settings);
    return ProcessorConfig.from(
        ConfigSources.of(ProcessorConfig.SETTINGS, ProcessorConfig.DEFAULTS, p, kafka));
  }
}
