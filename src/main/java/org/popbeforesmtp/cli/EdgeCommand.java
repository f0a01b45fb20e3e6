package org.popbeforesmtp.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.runtime.EdgeApp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code edge}: the grant cache and the lookup protocol servers (Postfix policy, socketmap for
 * Postfix and sendmail, whoson for Exim), until SIGTERM. Each protocol's flags come from {@link
 * org.popbeforesmtp.edge.EdgeProtocol}.
 */
@Command(
    name = "edge",
    mixinStandardHelpOptions = true,
    modelTransformer = ProtocolOptions.All.class,
    description = {
      "Answers MTAs from a local copy of relay.grants: Postfix (policy delegation, socketmap),"
          + " sendmail (socket map) and Exim (whoson over readsocket).",
      "",
      "Settings, lowest precedence first: built-in defaults, the --config properties file,"
          + " environment variables (PBS_ + the setting name in upper case, e.g."
          + " PBS_POLICY_PORT), flags. Other file keys, PBS_KAFKA_<NAME> variables and --kafka"
          + " key=value go to the Kafka consumer unchanged (security.protocol, sasl.*, ssl.*).",
      ""
    })
public final class EdgeCommand implements Callable<Integer>, ProtocolOptions.Target {
  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(names = "--grants-topic", description = "Compacted grants topic (default relay.grants).")
  String grantsTopic;

  @Option(names = "--bind", description = "Interface of all servers (default 127.0.0.1).")
  String bind;

  @Option(names = "--http-port", description = "HTTP port (default 8082).")
  String httpPort;

  @Option(
      names = "--protocols",
      description = "Lookup protocols to serve, comma-separated (default policy,socketmap,whoson).")
  String protocols;

  @Option(
      names = "--skew-allowance",
      description = "Grants stop counting this long before expiresAt (default 0s).")
  String skewAllowance;

  @Option(
      names = "--idle-timeout",
      description = "Close idle protocol connections after (default 10m).")
  String idleTimeout;

  @Option(
      names = "--request-timeout",
      description =
          "Close a connection whose request is not complete this long after its first byte"
              + " (default 10s).")
  String requestTimeout;

  @Option(
      names = "--max-connections",
      description =
          "Connections each protocol holds open at once; more are closed at once (default 4096).")
  String maxConnections;

  private final Map<String, String> env;
  private final Map<String, String> protocolFlags = new LinkedHashMap<>();

  public EdgeCommand() {
    this(System.getenv());
  }

  EdgeCommand(Map<String, String> env) {
    this.env = env;
  }

  EdgeConfig config() {
    Map<String, String> flags = new LinkedHashMap<>();
    flags.put("topic.grants", grantsTopic);
    flags.put("bind", bind);
    flags.put("http.port", httpPort);
    flags.put(EdgeConfig.PROTOCOLS, protocols);
    flags.putAll(protocolFlags);
    flags.put("skew.allowance", skewAllowance);
    flags.put("idle.timeout", idleTimeout);
    flags.put("request.timeout", requestTimeout);
    flags.put("max.connections", maxConnections);
    return EdgeConfig.from(cluster.load(EdgeConfig.SETTINGS, EdgeConfig.DEFAULTS, env, flags));
  }

  @Override
  public Map<String, String> protocolFlags() {
    return protocolFlags;
  }

  @Override
  public Integer call() throws Exception {
    EdgeApp app = EdgeApp.start(config());
    return Services.runUntilStopped(app, "edge");
  }
}
