package org.popbeforesmtp.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.popbeforesmtp.config.ConfigSources;
import picocli.CommandLine.Option;

/**
 * Where the long-running commands and {@code audit} find Kafka and the registry, and their settings
 * file: {@code --config}, {@code --bootstrap-servers}, {@code --schema-registry-url}, {@code
 * --kafka}.
 */
final class ClusterOptions {
  @Option(names = "--config", description = "Properties file with settings (default: none).")
  Path configFile;

  @Option(names = "--bootstrap-servers", description = "Kafka brokers (required).")
  String bootstrapServers;

  @Option(
      names = "--schema-registry-url",
      description = "Confluent-compatible registry (required).")
  String schemaRegistryUrl;

  @Option(
      names = "--kafka",
      description = "Kafka client setting passed through unchanged, key=value (repeatable).")
  Map<String, String> kafka = new LinkedHashMap<>();

  /** The merged settings: defaults, the config file, the environment, then {@code flags}. */
  ConfigSources load(
      Set<String> settings,
      Map<String, String> defaults,
      Map<String, String> env,
      Map<String, String> flags) {
    Map<String, String> all = new LinkedHashMap<>(flags);
    all.put("bootstrap.servers", bootstrapServers);
    all.put("schema.registry.url", schemaRegistryUrl);
    return ConfigSources.load(settings, defaults, configFile, env, all, kafka);
  }
}
