package org.popbeforesmtp.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.popbeforesmtp.edge.EdgeProtocol;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.text.Durations;
import org.popbeforesmtp.text.Setting;

/**
 * Everything the {@code edge} command runs with, validated. The lookup protocols it serves and
 * their settings come from {@link EdgeProtocol#all()}; {@code protocols} picks which run.
 *
 * @param bind interface of the protocol and HTTP servers (loopback by default)
 * @param servers the configured protocol servers, in {@link EdgeProtocol#all()} order
 * @param skewAllowance a grant stops counting this long before its expiresAt
 * @param idleTimeout idle protocol connections are closed after this
 * @param requestTimeout a request must complete this long after its first byte
 * @param maxConnections connections each protocol holds open at once
 */
public record EdgeConfig(
    String bootstrapServers,
    SerdeConfig registry,
    String grantsTopic,
    String bind,
    List<EdgeProtocol.Server> servers,
    int httpPort,
    Duration skewAllowance,
    Duration idleTimeout,
    Duration requestTimeout,
    int maxConnections,
    Map<String, String> kafka)
    implements ClusterClient {

  /** The setting that lists the protocols to serve. */
  public static final String PROTOCOLS = "protocols";

  /** Every setting of the edge, the protocols' own among them ({@link EdgeProtocol#all()}). */
  public static final List<Setting> DECLARED = declared();

  public static final Map<String, String> DEFAULTS = Setting.defaults(DECLARED);
  public static final Set<String> SETTINGS = DEFAULTS.keySet();

  public EdgeConfig {
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("http.port " + httpPort + " must be 0-65535");
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException(
          "max.connections " + maxConnections + " must be at least 1");
    }
    servers = List.copyOf(servers);
    kafka = Map.copyOf(kafka);
  }

  private static List<Setting> declared() {
    List<Setting> d = new ArrayList<>(ConfigSources.CLUSTER);
    d.add(
        Setting.of("topic.grants", Topics.defaults().grants(), "the compacted grants topic")
            .withFlag("--grants-topic"));
    d.add(Setting.of("bind", "127.0.0.1", "interface of all the edge's servers"));
    d.add(
        Setting.of(
            PROTOCOLS,
            EdgeProtocol.all().stream().map(EdgeProtocol::name).collect(Collectors.joining(",")),
            "lookup protocols to serve"));
    for (EdgeProtocol p : EdgeProtocol.all()) {
      d.add(p.port());
    }
    d.add(Setting.of("http.port", "8082", "HTTP check, health, metrics"));
    for (EdgeProtocol p : EdgeProtocol.all()) {
      d.addAll(p.options());
    }
    d.add(
        Setting.of(
            "skew.allowance", "0s", "a grant stops counting this long before its `expiresAt`"));
    d.add(
        Setting.of(
            "idle.timeout", "10m", "idle protocol connections are closed (Postfix reconnects)"));
    d.add(
        Setting.of(
            "request.timeout",
            "10s",
            "a request not complete this long after its first byte closes its connection"
                + " (slowloris)"));
    d.add(
        Setting.of(
            "max.connections",
            "4096",
            "connections each protocol (and the HTTP port) holds open; more are closed at once,"
                + " with a log line every 10 s"));
    return List.copyOf(d);
  }

  /** Builds and validates the config from merged sources. */
  public static EdgeConfig from(ConfigSources sources) {
    return new EdgeConfig(
        sources.require("bootstrap.servers"),
        sources.serdeConfig(),
        sources.require("topic.grants"),
        sources.require("bind"),
        servers(sources),
        sources.getInt("http.port"),
        Durations.parse("skew.allowance", sources.require("skew.allowance")),
        Durations.parse("idle.timeout", sources.require("idle.timeout")),
        Durations.parse("request.timeout", sources.require("request.timeout")),
        sources.getInt("max.connections"),
        sources.kafka());
  }

  private static List<EdgeProtocol.Server> servers(ConfigSources sources) {
    List<String> asked = new ArrayList<>();
    for (String name : sources.require(PROTOCOLS).split(",")) {
      if (!name.isBlank()) {
        asked.add(name.strip());
      }
    }
    List<EdgeProtocol> known = EdgeProtocol.all();
    List<String> names = known.stream().map(EdgeProtocol::name).toList();
    for (String name : asked) {
      if (!names.contains(name)) {
        throw new IllegalArgumentException(
            PROTOCOLS + ": unknown protocol '" + name + "'; known: " + String.join(",", names));
      }
    }
    if (asked.isEmpty()) {
      throw new IllegalArgumentException(
          PROTOCOLS + " is empty: name at least one of " + String.join(",", names));
    }
    List<EdgeProtocol.Server> servers = new ArrayList<>();
    for (EdgeProtocol p : known) {
      if (asked.contains(p.name())) {
        servers.add(p.configure(sources.settings()));
      }
    }
    return servers;
  }

  /** True when a served protocol names users in its answers (the cache then keeps them). */
  public boolean needsUsers() {
    return servers.stream().anyMatch(s -> s.protocol().needsUsers());
  }
}
