package org.popbeforesmtp.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.text.Durations;

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
    Map<String, String> kafka) {

  /** The value of {@code whoson.port} that keeps the whoson writer server off. */
  public static final String OFF = "off";

  public static final Map<String, String> DEFAULTS = defaults();
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

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("bootstrap.servers", "");
    d.put("schema.registry.url", "");
    d.put("topic.logins", Topics.defaults().logins());
    d.put("bind", "127.0.0.1");
    d.put("http.port", "8081");
    d.put("allowed.networks", "");
    d.put("secret.header", "");
    d.put("secret.value", "");
    d.put("server.id", Hosts.localName());
    d.put("queue.capacity", "100000");
    d.put("max.unavailable", "5m");
    d.put("whoson.port", OFF);
    return Map.copyOf(d);
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
