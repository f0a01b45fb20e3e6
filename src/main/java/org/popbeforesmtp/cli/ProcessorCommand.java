package org.popbeforesmtp.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.runtime.Dashboard;
import org.popbeforesmtp.runtime.ProcessorApp;
import org.popbeforesmtp.text.Setting;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code processor}: runs the grant processor and its HTTP API until SIGTERM. */
@Command(
    name = "processor",
    mixinStandardHelpOptions = true,
    modelTransformer = SettingFlags.Transformer.class,
    description = {
      "Turns login events (mail.logins) into relay grants (relay.grants) and serves them over HTTP.",
      "",
      "Settings, lowest precedence first: built-in defaults, the --config properties file,"
          + " environment variables, flags. Each setting's property name is its flag without"
          + " the dashes' prefix (--http-port = http.port) and its environment variable is"
          + " PBS_ + the name in upper case (PBS_HTTP_PORT). Any other key in the file, any"
          + " PBS_KAFKA_<NAME> variable and every --kafka key=value is passed to the Kafka"
          + " clients and Streams unchanged (security.protocol, sasl.*, ssl.*, tuning).",
      ""
    })
public final class ProcessorCommand extends SettingFlags.Flagged implements Callable<Integer> {
  @Override
  List<Setting> flagged() {
    return ProcessorConfig.DECLARED;
  }

  private static final Logger LOG = LoggerFactory.getLogger(ProcessorCommand.class);

  @Mixin ClusterOptions cluster = new ClusterOptions();

  private final Map<String, String> env;

  /** The command on the process environment. */
  public ProcessorCommand() {
    this(System.getenv());
  }

  ProcessorCommand(Map<String, String> env) {
    this.env = env;
  }

  ProcessorConfig config() {
    return ProcessorConfig.from(
        cluster.load(ProcessorConfig.SETTINGS, ProcessorConfig.DEFAULTS, env, flags));
  }

  @Override
  public Integer call() throws Exception {
    ProcessorConfig config = config();
    ProcessorApp app = ProcessorApp.start(config);
    LOG.info(
        "HTTP API on {}:{}; dashboard at http://{}:{}{}",
        config.httpHost(),
        app.httpPort(),
        config.advertisedHost(),
        app.httpPort(),
        Dashboard.PATH);
    return Services.runUntilEnded(
        app,
        "processor",
        () -> {
          int code = app.awaitTermination();
          if (code != 0) {
            app.close(); // it failed: close what is left before the exit code goes out
          }
          return code;
        });
  }
}
