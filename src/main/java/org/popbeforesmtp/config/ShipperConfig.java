package org.popbeforesmtp.config;

import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.text.Durations;

/**
 * Everything the login-shipping commands run with, validated: {@code tail} (the agent on every
 * POP/IMAP server), {@code import} and {@code publish}. Read like the servers' settings: defaults
 * &lt; {@code --config} file &lt; {@code PBS_*} environment &lt; flags.
 *
 * @param zone the zone of log timestamps without an offset
 * @param stateDir where checkpoints go; null: the command's own default
 * @param pollInterval how often {@code tail} looks for new lines
 */
public record ShipperConfig(
    String bootstrapServers,
    SerdeConfig registry,
    String loginsTopic,
    String serverId,
    ZoneId zone,
    Path stateDir,
    Duration pollInterval,
    Map<String, String> kafka) {

  public static final Map<String, String> DEFAULTS = defaults();
  public static final Set<String> SETTINGS = DEFAULTS.keySet();

  public ShipperConfig {
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("poll.interval " + pollInterval + " must be positive");
    }
    kafka = Map.copyOf(kafka);
  }

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("bootstrap.servers", "");
    d.put("schema.registry.url", "");
    d.put("topic.logins", Topics.defaults().logins());
    d.put("server.id", Hosts.localName());
    d.put("zone", ZoneId.systemDefault().getId());
    d.put("state.dir", "");
    d.put("poll.interval", "200ms");
    return Map.copyOf(d);
  }

  /** {@link #DEFAULTS} with another default server id ({@code publish} names itself). */
  public static Map<String, String> defaults(String serverId) {
    Map<String, String> d = new LinkedHashMap<>(DEFAULTS);
    d.put("server.id", serverId);
    return Map.copyOf(d);
  }

  public static ShipperConfig from(ConfigSources sources) {
    String zone = sources.require("zone");
    ZoneId zoneId;
    try {
      zoneId = ZoneId.of(zone);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(
          "zone '" + zone + "' is not a time zone: use e.g. UTC, Europe/Berlin or +02:00");
    }
    String stateDir = sources.get("state.dir");
    return new ShipperConfig(
        sources.require("bootstrap.servers"),
        sources.serdeConfig(),
        sources.require("topic.logins"),
        sources.require("server.id"),
        zoneId,
        stateDir == null ? null : Path.of(stateDir),
        Durations.parse("poll.interval", sources.require("poll.interval")),
        sources.kafka());
  }

  /** The Kafka producer's properties: the pass-through settings and the brokers. */
  public Properties clientProperties() {
    return ConfigSources.clientProperties(bootstrapServers, kafka);
  }
}
