package org.popbeforesmtp.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.popbeforesmtp.registry.SerdeConfig;

/**
 * Everything the {@code edge} command runs with, validated.
 *
 * @param bind interface of the policy, socketmap and HTTP servers (loopback by default)
 * @param okAction policy action for a granted client
 * @param socketmapValue socketmap value for a granted client
 * @param tempWhenNotReady socketmap answers TEMP (not NOTFOUND) while the cache loads
 * @param skewAllowance a grant stops counting this long before its expiresAt
 * @param idleTimeout idle protocol connections are closed after this
 */
public record EdgeConfig(
    String bootstrapServers,
    SerdeConfig registry,
    String grantsTopic,
    String bind,
    int policyPort,
    int socketmapPort,
    int httpPort,
    String okAction,
    String socketmapValue,
    boolean tempWhenNotReady,
    Duration skewAllowance,
    Duration idleTimeout,
    Map<String, String> kafka) {

  public static final Map<String, String> DEFAULTS = defaults();
  public static final Set<String> SETTINGS = DEFAULTS.keySet();

  public EdgeConfig {
    for (int port : new int[] {policyPort, socketmapPort, httpPort}) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " must be 0-65535");
      }
    }
    if (!okAction.matches("[A-Za-z0-9 ._:-]+")) {
      throw new IllegalArgumentException("ok.action '" + okAction + "' is not a Postfix action");
    }
    kafka = Map.copyOf(kafka);
  }

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("bootstrap.servers", "");
    d.put("schema.registry.url", "");
    d.put("topic.grants", "relay.grants");
    d.put("bind", "127.0.0.1");
    d.put("policy.port", "10040");
    d.put("socketmap.port", "10041");
    d.put("http.port", "8082");
    d.put("ok.action", "OK");
    d.put("socketmap.value", "OK");
    d.put("socketmap.temp.when.not.ready", "false");
    d.put("skew.allowance", "0s");
    d.put("idle.timeout", "10m");
    return Map.copyOf(d);
  }

  /** Builds and validates the config from merged sources. */
  public static EdgeConfig from(ConfigSources sources) {
    return new EdgeConfig(
        sources.require("bootstrap.servers"),
        sources.serdeConfig(),
        sources.require("topic.grants"),
        sources.require("bind"),
        sources.getInt("policy.port"),
        sources.getInt("socketmap.port"),
        sources.getInt("http.port"),
        sources.require("ok.action"),
        sources.require("socketmap.value"),
        Boolean.parseBoolean(sources.require("socketmap.temp.when.not.ready")),
        Durations.parse("skew.allowance", sources.require("skew.allowance")),
        Durations.parse("idle.timeout", sources.require("idle.timeout")),
        sources.kafka());
  }
}
