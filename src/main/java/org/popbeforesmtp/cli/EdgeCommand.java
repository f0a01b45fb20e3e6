package org.popbeforesmtp.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.runtime.EdgeApp;
import org.popbeforesmtp.text.Setting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code edge}: the grant cache and the lookup protocol servers (Postfix policy, socketmap for
 * Postfix and sendmail, whoson for Exim), until SIGTERM. Each protocol's flags come from {@link
 * org.popbeforesmtp.edge.EdgeProtocol}.
 */
@Command(
    name = "edge",
    mixinStandardHelpOptions = true,
    modelTransformer = SettingFlags.Transformer.class,
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
public final class EdgeCommand extends SettingFlags.Flagged implements Callable<Integer> {
  @Override
  List<Setting> flagged() {
    return EdgeConfig.DECLARED;
  }

  @Mixin ClusterOptions cluster = new ClusterOptions();

  private final Map<String, String> env;

  public EdgeCommand() {
    this(System.getenv());
  }

  EdgeCommand(Map<String, String> env) {
    this.env = env;
  }

  EdgeConfig config() {
    return EdgeConfig.from(cluster.load(EdgeConfig.SETTINGS, EdgeConfig.DEFAULTS, env, flags));
  }

  @Override
  public Integer call() throws Exception {
    EdgeApp app = EdgeApp.start(config());
    return Services.runUntilStopped(app, "edge");
  }
}
