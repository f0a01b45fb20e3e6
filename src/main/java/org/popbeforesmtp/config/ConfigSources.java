package org.popbeforesmtp.config;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.text.Setting;

/**
 * Merges configuration layers into settings. Precedence, lowest first: built-in defaults, then the
 * properties file ({@code --config}), then environment variables, then command-line flags.
 *
 * <p>Our own settings use property names such as {@code ttl} or {@code http.port}; the environment
 * spells them {@code PBS_TTL}, {@code PBS_HTTP_PORT}. Anything else is a Kafka client or Streams
 * setting passed through unchanged: from the file any key we do not know (e.g. {@code
 * security.protocol}, {@code sasl.jaas.config}), from the environment {@code PBS_KAFKA_<NAME>}
 * ({@code PBS_KAFKA_SASL_MECHANISM} → {@code sasl.mechanism}), from flags {@code --kafka
 * key=value}.
 *
 * @param settings our settings by property name
 * @param kafka pass-through Kafka settings
 */
public record ConfigSources(Map<String, String> settings, Map<String, String> kafka) {
  /** Where Kafka and the registry are: every command that talks to them declares these. */
  public static final List<Setting> CLUSTER =
      List.of(
          Setting.required("bootstrap.servers", "Kafka brokers"),
          Setting.required(
              "schema.registry.url",
              "Confluent-compatible registry (`basic.auth.user.info` in the file for auth)"));

  /** The lists one after the other. */
  @SafeVarargs
  public static List<Setting> concat(List<Setting>... lists) {
    List<Setting> all = new ArrayList<>();
    for (List<Setting> l : lists) {
      all.addAll(l);
    }
    return List.copyOf(all);
  }

  static final String KAFKA_ENV_PREFIX = Setting.ENV_PREFIX + "KAFKA_";

  /**
   * Settings given in code (dev mode, bench, tests): {@code values} over the defaults, no file and
   * no environment; {@code kafka} passed through to the Kafka clients.
   */
  public static ConfigSources of(
      Set<String> settings,
      Map<String, String> defaults,
      Map<String, String> values,
      Map<String, String> kafka) {
    return load(settings, defaults, null, Map.of(), values, kafka);
  }

  /**
   * @param known our setting names
   * @param defaults built-in defaults by setting name
   * @param file the {@code --config} file, or null
   * @param env the process environment
   * @param flags settings given as flags (only those given)
   * @param kafkaFlags {@code --kafka} pass-through settings
   */
  public static ConfigSources load(
      Set<String> known,
      Map<String, String> defaults,
      Path file,
      Map<String, String> env,
      Map<String, String> flags,
      Map<String, String> kafkaFlags) {
    Map<String, String> settings = new LinkedHashMap<>(defaults);
    Map<String, String> kafka = new LinkedHashMap<>();
    if (file != null) {
      Properties props = new Properties();
      try (Reader in = Files.newBufferedReader(file)) {
        props.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot read config file " + file + ": " + e.getMessage(), e);
      }
      for (String name : props.stringPropertyNames()) {
        (known.contains(name) ? settings : kafka).put(name, props.getProperty(name).strip());
      }
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      String name = e.getKey();
      if (name.startsWith(KAFKA_ENV_PREFIX)) {
        kafka.put(
            name.substring(KAFKA_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'),
            e.getValue());
      } else if (name.startsWith(Setting.ENV_PREFIX)) {
        for (String key : known) {
          if (Setting.envName(key).equals(name)) {
            settings.put(key, e.getValue());
          }
        }
      }
    }
    flags.forEach(
        (k, v) -> {
          if (v != null) {
            settings.put(k, v);
          }
        });
    kafka.putAll(kafkaFlags);
    return new ConfigSources(Map.copyOf(settings), Map.copyOf(kafka));
  }

  /**
   * A Kafka client's properties: the pass-through settings and the brokers (every client of the
   * program is configured here).
   */
  public static Properties clientProperties(String bootstrapServers, Map<String, String> kafka) {
    Properties props = new Properties();
    props.putAll(kafka);
    props.put("bootstrap.servers", bootstrapServers);
    return props;
  }

  /** A required setting. */
  public String require(String name) {
    String value = settings.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          name
              + " is required: give "
              + Setting.flagOf(name)
              + ", "
              + Setting.envName(name)
              + " or '"
              + name
              + "=' in the --config file");
    }
    return value;
  }

  /** An optional setting, or null. */
  public String get(String name) {
    String value = settings.get(name);
    return value == null || value.isBlank() ? null : value;
  }

  /** The schema registry settings: {@code schema.registry.url} plus basic auth from the file. */
  public SerdeConfig serdeConfig() {
    return SerdeConfig.fromMap(
        Map.of(
            SerdeConfig.SCHEMA_REGISTRY_URL,
            require("schema.registry.url"),
            SerdeConfig.BASIC_AUTH_USER_INFO,
            kafka.getOrDefault(SerdeConfig.BASIC_AUTH_USER_INFO, "")));
  }

  /** An integer setting, with an error naming it. */
  public int getInt(String name) {
    String value = require(name);
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " '" + value + "' is not a whole number");
    }
  }
}
