package org.popbeforesmtp.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.runtime.Dashboard;
import org.popbeforesmtp.runtime.ProcessorApp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code processor}: runs the grant processor and its HTTP API until SIGTERM. */
@Command(
    name = "processor",
    mixinStandardHelpOptions = true,
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
public final class ProcessorCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessorCommand.class);

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(
      names = "--application-id",
      description = "Streams application id (default pop-before-smtp-processor).")
  String applicationId;

  @Option(
      names = "--state-dir",
      description = "Local state directory (default $TMPDIR/pop-before-smtp-state).")
  String stateDir;

  @Mixin GrantOptions grant = new GrantOptions();

  @Option(
      names = "--expiry-scan-interval",
      description =
          "How often expired grants are tombstoned (default "
              + GrantPolicy.DEFAULT_EXPIRY_SCAN_INTERVAL
              + ").")
  String expiryScanInterval;

  @Mixin TopicOptions topics = new TopicOptions();

  @Option(names = "--http-host", description = "Interface of the HTTP API (default 0.0.0.0).")
  String httpHost;

  @Option(names = "--http-port", description = "HTTP API port (default 8080; 0 = any free port).")
  String httpPort;

  @Option(
      names = "--advertised-host",
      description = "Host name other instances reach this one at (default localhost).")
  String advertisedHost;

  @Option(
      names = "--instance-id",
      description =
          "This instance's static group membership id, stable across restarts and unique per"
              + " instance (default: host name and a digest of the state directory).")
  String instanceId;

  @Option(
      names = "--admin-token",
      description = "Bearer token for POST /v1/revocations (default: loopback clients only).")
  String adminToken;

  private final Map<String, String> env;

  /** The command on the process environment. */
  public ProcessorCommand() {
    this(System.getenv());
  }

  ProcessorCommand(Map<String, String> env) {
    this.env = env;
  }

  ProcessorConfig config() {
    Map<String, String> flags = new LinkedHashMap<>();
    flags.put("application.id", applicationId);
    flags.put("state.dir", stateDir);
    grant.putInto(flags);
    flags.put("expiry.scan.interval", expiryScanInterval);
    topics.putInto(flags);
    flags.put("http.host", httpHost);
    flags.put("http.port", httpPort);
    flags.put("advertised.host", advertisedHost);
    flags.put("instance.id", instanceId);
    flags.put("admin.token", adminToken);
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
