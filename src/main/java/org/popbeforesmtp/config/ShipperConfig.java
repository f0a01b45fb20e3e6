package org.popbeforesmtp.config;

import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.text.Durations;
import org.popbeforesmtp.text.Setting;

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
    Map<String, String> kafka)
    implements ClusterClient {

  /** The logins topic; {@code --topic} is its flag's older name. */
  public static final Setting LOGINS_TOPIC = IngestConfig.LOGINS_TOPIC.withAliases("--topic");

  /** How often {@code tail} looks for new lines. */
  public static final Setting POLL_INTERVAL =
      Setting.of("poll.interval", "200ms", "how often `tail` looks for new lines");

  /** Where checkpoints go; empty: the command's own default. */
  public static final Setting STATE_DIR =
      Setting.of("state.dir", "", "checkpoints, one per file")
          .shown(
              "`tail`: `/var/lib/pop-before-smtp/tail` as root (or where writable), else"
                  + " `~/.local/state/pop-before-smtp/tail`; `import`: `.pop-before-smtp-import`");

  /** The zone of log timestamps without an offset. */
  public static final Setting ZONE =
      Setting.of(
              "zone",
              ZoneId.systemDefault().getId(),
              "zone of log timestamps without an offset, as syslog writes them (`tail`,"
                  + " `import`)")
          .shown("this system's zone");

  /** Every setting of the shippers (a command declares those it has flags for). */
  public static final List<Setting> DECLARED =
      ConfigSources.concat(
          ConfigSources.CLUSTER,
          List.of(
              LOGINS_TOPIC,
              IngestConfig.SERVER_ID.shown("this host's name (`publish`: `cli`)"),
              ZONE,
              STATE_DIR,
              POLL_INTERVAL));

  public static final Map<String, String> DEFAULTS = Setting.defaults(DECLARED);
  public static final Set<String> SETTINGS = DEFAULTS.keySet();

  public ShipperConfig {
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("poll.interval " + pollInterval + " must be positive");
    }
    kafka = Map.copyOf(kafka);
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
}
