package org.popbeforesmtp.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.net.GrantKeys;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.text.Durations;
import org.popbeforesmtp.text.Setting;

/**
 * Everything the {@code processor} command runs with, validated.
 *
 * @param partitions partitions of the topics it creates (an existing logins topic keeps its own)
 * @param replicationFactor replication factor of created topics; -1 takes the broker default
 * @param httpHost interface the HTTP API binds to
 * @param httpPort HTTP API port; 0 picks a free one
 * @param advertisedHost host name other instances reach this one's HTTP API at
 * @param instanceId this instance's static group membership id ({@code group.instance.id}): stable
 *     across restarts, unique per instance; by default the host name and a digest of the state
 *     directory ({@link #defaultInstanceId})
 * @param adminToken bearer token required by {@code POST /v1/revocations}; null accepts it from
 *     loopback clients only
 * @param kafka Kafka client and Streams settings passed through (SASL/SSL, tuning)
 */
public record ProcessorConfig(
    String bootstrapServers,
    SerdeConfig registry,
    String applicationId,
    Path stateDir,
    Topics topics,
    GrantPolicy policy,
    int partitions,
    int replicationFactor,
    String httpHost,
    int httpPort,
    String advertisedHost,
    String instanceId,
    String adminToken,
    Map<String, String> kafka)
    implements ClusterClient {

  /** The grant rules (processor, audit, dev). */
  public static final List<Setting> RULES =
      List.of(
          Setting.of(
              "ttl",
              GrantPolicy.DEFAULT_TTL,
              "how long a login grants (`500ms`, `10s`, `30m`, `2h`, `PT30M`)"),
          Setting.of(
              "max.future.skew",
              GrantPolicy.DEFAULT_MAX_FUTURE_SKEW,
              "events dated further ahead go to the DLQ"),
          Setting.of(
                  "grace",
                  GrantPolicy.DEFAULT_GRACE,
                  "extra session retention for clock and segment slack")
              .withFlag(""),
          Setting.of(
              "expiry.scan.interval",
              GrantPolicy.DEFAULT_EXPIRY_SCAN_INTERVAL,
              "how often expired grants are tombstoned"),
          Setting.of("ipv4.prefix.length", "32", "grant per IPv4 prefix of this length"),
          Setting.of("ipv6.prefix.length", "128", "grant per IPv6 prefix (`64` for /64 grants)"),
          Setting.of("never.grant", "", "CIDRs whose logins never grant, e.g. `100.64.0.0/10`"),
          Setting.of(
                  "max.users.per.key",
                  "0",
                  "more distinct users in one grant session marks a shared address")
              .shown("`0` (off)"));

  /** How the topics it creates are made (processor, topics). */
  public static final List<Setting> TOPIC_CREATION =
      List.of(
          Setting.of(
              "partitions",
              "12",
              "partitions of topics it creates (an existing `mail.logins` keeps its count)"),
          Setting.of("replication.factor", "-1", "of topics it creates").shown("broker default"));

  /** The topics' names (file and environment only). */
  public static final List<Setting> TOPICS =
      List.of(
          Setting.of("topic.logins", Topics.defaults().logins(), "login events").withFlag(""),
          Setting.of("topic.grants", Topics.defaults().grants(), "compacted grants").withFlag(""),
          Setting.of("topic.revocations", Topics.defaults().revocations(), "revocations")
              .withFlag(""),
          Setting.of("topic.dead.letters", Topics.defaults().deadLetters(), "dead-letter topic")
              .withFlag(""));

  /** Every setting of the processor, in the README's order. */
  public static final List<Setting> DECLARED =
      ConfigSources.concat(
          ConfigSources.CLUSTER,
          List.of(
              Setting.of(
                  "application.id",
                  "pop-before-smtp-processor",
                  "Streams application id (all instances share it)"),
              Setting.of(
                      "state.dir",
                      System.getProperty("java.io.tmpdir") + "/pop-before-smtp-state",
                      "local state; put it on persistent disk")
                  .shown("`$TMPDIR/pop-before-smtp-state`")),
          RULES,
          TOPIC_CREATION,
          List.of(
              Setting.of("http.host", "0.0.0.0", "interface of the HTTP API"),
              Setting.of("http.port", "8080", "HTTP API port (`0` = any free port)"),
              Setting.of(
                      "advertised.host",
                      "",
                      "host other instances reach this one's API at (`application.server`)")
                  .shown("`localhost`"),
              Setting.of(
                      "instance.id",
                      "",
                      "static group membership id (`group.instance.id`): stable across restarts,"
                          + " unique per instance; a crashed instance restarted within the 10 s"
                          + " session timeout takes its tasks back without a rebalance")
                  .shown("host name + digest of `state.dir`"),
              Setting.of(
                  "admin.token",
                  "",
                  "bearer token for `POST /v1/revocations`; without it only loopback clients may"
                      + " revoke")),
          TOPICS);

  public static final Map<String, String> DEFAULTS = Setting.defaults(DECLARED);
  public static final Set<String> SETTINGS = DEFAULTS.keySet();

  public ProcessorConfig {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions " + partitions + " must be at least 1");
    }
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("http.port " + httpPort + " must be 0-65535");
    }
    kafka = Map.copyOf(kafka);
  }

  /** Builds and validates the config from merged sources. */
  public static ProcessorConfig from(ConfigSources sources) {
    GrantPolicy policy = policy(sources);
    String host = sources.get("advertised.host");
    Path stateDir = Path.of(sources.require("state.dir"));
    String instanceId = sources.get("instance.id");
    return new ProcessorConfig(
        sources.require("bootstrap.servers"),
        sources.serdeConfig(),
        sources.require("application.id"),
        stateDir,
        topics(sources),
        policy,
        sources.getInt("partitions"),
        sources.getInt("replication.factor"),
        sources.require("http.host"),
        sources.getInt("http.port"),
        host == null ? "localhost" : host,
        instanceId == null ? defaultInstanceId(stateDir) : instanceId,
        sources.get("admin.token"),
        sources.kafka());
  }

  /** The topic names of merged sources ({@code topic.logins}, ...). */
  public static Topics topics(ConfigSources sources) {
    return new Topics(
        sources.require("topic.logins"),
        sources.require("topic.grants"),
        sources.require("topic.revocations"),
        sources.require("topic.dead.letters"));
  }

  /**
   * The static membership id of an instance that names none: its host name and the first 8 hex
   * digits of the SHA-256 of its absolute state directory, e.g. {@code mx1-3fa4c2d1}. A restart on
   * the same host and state directory (where its tasks' state lives) gets the same id, so it takes
   * its tasks back without a rebalance; two instances on one host need two state directories
   * anyway, so they get two ids.
   */
  public static String defaultInstanceId(Path stateDir) {
    String host = Hosts.localName();
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(
                  stateDir
                      .toAbsolutePath()
                      .normalize()
                      .toString()
                      .getBytes(StandardCharsets.UTF_8));
      return host + "-" + HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /**
   * The grant rules' settings of merged sources, validated: what a command checks before it starts
   * anything (a bad value then costs no broker start or connection).
   */
  public static GrantPolicy policy(ConfigSources sources) {
    return new GrantPolicy(
        Durations.parse("ttl", sources.require("ttl")),
        Durations.parse("max.future.skew", sources.require("max.future.skew")),
        Durations.parse("grace", sources.require("grace")),
        Durations.parse("expiry.scan.interval", sources.require("expiry.scan.interval")),
        new GrantKeys(sources.getInt("ipv4.prefix.length"), sources.getInt("ipv6.prefix.length")),
        CidrSet.parse(sources.get("never.grant")),
        sources.getInt("max.users.per.key"));
  }
}
