package org.popbeforesmtp.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.runtime.EdgeApp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code edge}: the grant cache and the Postfix policy/socketmap servers, until SIGTERM. */
@Command(
    name = "edge",
    mixinStandardHelpOptions = true,
    description = {
      "Answers Postfix (policy delegation and socketmap) from a local copy of relay.grants.",
      "",
      "Settings, lowest precedence first: built-in defaults, the --config properties file,"
          + " environment variables (PBS_ + the setting name in upper case, e.g."
          + " PBS_POLICY_PORT), flags. Other file keys, PBS_KAFKA_<NAME> variables and --kafka"
          + " key=value go to the Kafka consumer unchanged (security.protocol, sasl.*, ssl.*).",
      ""
    })
public final class EdgeCommand implements Callable<Integer> {
  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(names = "--grants-topic", description = "Compacted grants topic (default relay.grants).")
  String grantsTopic;

  @Option(names = "--bind", description = "Interface of all servers (default 127.0.0.1).")
  String bind;

  @Option(names = "--policy-port", description = "Postfix policy server port (default 10040).")
  String policyPort;

  @Option(names = "--socketmap-port", description = "Postfix socketmap port (default 10041).")
  String socketmapPort;

  @Option(names = "--http-port", description = "HTTP port (default 8082).")
  String httpPort;

  @Option(names = "--ok-action", description = "Policy action for a granted client (default OK).")
  String okAction;

  @Option(
      names = "--socketmap-value",
      description = "Socketmap value for a granted client (default OK).")
  String socketmapValue;

  @Option(
      names = "--socketmap-temp-when-not-ready",
      description = "Answer TEMP instead of NOTFOUND while the cache loads (default false).")
  String tempWhenNotReady;

  @Option(
      names = "--skew-allowance",
      description = "Grants stop counting this long before expiresAt (default 0s).")
  String skewAllowance;

  @Option(
      names = "--idle-timeout",
      description = "Close idle protocol connections after (default 10m).")
  String idleTimeout;

  private final Map<String, String> env;

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
    flags.put("policy.port", policyPort);
    flags.put("socketmap.port", socketmapPort);
    flags.put("http.port", httpPort);
    flags.put("ok.action", okAction);
    flags.put("socketmap.value", socketmapValue);
    flags.put("socketmap.temp.when.not.ready", tempWhenNotReady);
    flags.put("skew.allowance", skewAllowance);
    flags.put("idle.timeout", idleTimeout);
    return EdgeConfig.from(cluster.load(EdgeConfig.SETTINGS, EdgeConfig.DEFAULTS, env, flags));
  }

  @Override
  public Integer call() throws Exception {
    EdgeApp app = EdgeApp.start(config());
    return Services.runUntilStopped(app, "edge");
  }
}
