package org.popbeforesmtp.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.text.Durations;
import org.popbeforesmtp.text.Setting;

/**
 * Everything the {@code ingest} command (Dovecot auth-policy endpoint) runs with, validated.
 *
 * @param allowedNetworks clients allowed besides loopback
 * @param secretHeader name of a required shared-secret header (null: none)
 * @param queueCapacity login events held while Kafka is slow or down
 * @param maxUnavailable how long an event may wait for Kafka before it counts as undelivered
 * @param whosonPort port of the whoson writer server (TCP and UDP), or -1 when off
 */
public record IngestConfig(
    String bootstrapServers,
    SerdeConfig registry,
    String loginsTopic,
    String bind,
    int httpPort,
    CidrSet allowedNetworks,
    String secretHeader,
    String secretValue,
    String serverId,
    int queueCapacity,
    Duration maxUnavailable,
    int whosonPort,
    Map<String, String> kafka)
    implements ClusterClient {

  /** The value of {@code whoson.port} that keeps the whoson writer server off. */
  public static final String OFF = "off";

  /** The logins topic, as ingest and the shippers name its flag. */
  public static final Setting LOGINS_TOPIC =
      Setting.of("topic.logins", Topics.defaults().logins(), "where login events go")
          .withFlag("--logins-topic");

  /** The server id of the events made here (ingest, tail, import). */
  public static final Setting SERVER_ID =
      Setting.of(
              "server.id",
              Hosts.localName(),
              "the events' `serverId` (event ids stay unique per server)")
          .shown("this host's name");

  /** Every setting of ingest. */
  public static final List<Setting> DECLARED =
      ConfigSources.concat(
          ConfigSources.CLUSTER,
          List.of(
              LOGINS_TOPIC,
              Setting.of("bind", "127.0.0.1", "interface of the Dovecot endpoint"),
              Setting.of("http.port", "8081", "its port"),
              Setting.of("allowed.networks", "", "CIDRs allowed to report besides loopback")
                  .shown("(loopback only)"),
              Setting.of(
                  "secret.header",
                  "",
                  "require this header (Dovecot's `auth_policy_server_api_header`)"),
              Setting.of("secret.value", "", "its value (prefer the variable to the flag)"),
              SERVER_ID,
              Setting.of("queue.capacity", "100000", "events held while Kafka is slow or down"),
              Setting.of(
                  "max.unavailable",
                  "5m",
                  "how long an event may wait for Kafka before it counts as failed"),
              Setting.of(
                  "whoson.port",
                  OFF,
                  "whoson writers (TCP and UDP): `LOGIN`/`LOGOUT` become login events")));

  public static final Map<String, String> DEFAULTS = Setting.defaults(DECLARED);
  public static final Set<String> SETTINGS = DEFAULTS.keySet();

  public IngestConfig {
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("http.port " + httpPort + " must be 0-65535");
    }
    if (whosonPort < -1 || whosonPort > 65535) {
      throw new IllegalArgumentException(
          "whoson.port " + whosonPort + " must be 0-65535 (or " + OFF + ")");
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queue.capacity " + queueCapacity + " must be positive");
    }
    if ((secretHeader == null) != (secretValue == null)) {
      throw new IllegalArgumentException(
          "secret.header and secret.value go together (Dovecot: auth_policy_server_api_header)");
    }
    kafka = Map.copyOf(kafka);
  }

  /** True when whoson writers are served. */
  public boolean whosonOn() {
    return whosonPort >= 0;
  }

  public static IngestConfig from(ConfigSources sources) {
    return new IngestConfig(
        sources.require("bootstrap.servers"),
        sources.serdeConfig(),
        sources.require("topic.logins"),
        sources.require("bind"),
        sources.getInt("http.port"),
        CidrSet.parse(sources.get("allowed.networks")),
        sources.get("secret.header"),
        sources.get("secret.value"),
        sources.require("server.id"),
        sources.getInt("queue.capacity"),
        Durations.parse("max.unavailable", sources.require("max.unavailable")),
        OFF.equals(sources.require("whoson.port")) ? -1 : sources.getInt("whoson.port"),
        sources.kafka());
  }
}
