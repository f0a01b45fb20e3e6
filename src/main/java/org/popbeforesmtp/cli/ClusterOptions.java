package org.popbeforesmtp.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.popbeforesmtp.config.ConfigSources;
import picocli.CommandLine.Option;

/**
 * The settings file and the Kafka pass-through of every command that talks to Kafka: {@code
 * --config} and {@code --kafka} (the settings' own flags, {@code --bootstrap-servers} among them,
 * come from their declarations: {@link SettingFlags}).
 */
final class ClusterOptions {
  @Option(names = "--config", description = "Properties file with settings (default: none).")
  Path configFile;

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
    return ConfigSources.load(settings, defaults, configFile, env, flags, kafka);
  }
}
