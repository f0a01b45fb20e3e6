package org.popbeforesmtp.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.runtime.IngestApp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ingest}: the Dovecot auth-policy endpoint, until SIGTERM. */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Receives Dovecot auth-policy reports on POST /v1/dovecot-policy and publishes them as"
          + " login events to mail.logins.",
      "",
      "Settings, lowest precedence first: built-in defaults, the --config properties file,"
          + " environment variables (PBS_ + the setting name in upper case), flags. Other file"
          + " keys, PBS_KAFKA_<NAME> variables and --kafka key=value go to the Kafka producer.",
      ""
    })
public final class IngestCommand implements Callable<Integer> {
  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(names = "--logins-topic", description = "Topic of login events (default mail.logins).")
  String loginsTopic;

  @Option(names = "--bind", description = "Interface (default 127.0.0.1).")
  String bind;

  @Option(names = "--http-port", description = "HTTP port (default 8081).")
  String httpPort;

  @Option(
      names = "--allowed-networks",
      description = "CIDRs allowed besides loopback (default: none, loopback only).")
  String allowedNetworks;

  @Option(
      names = "--secret-header",
      description = "Name of a shared-secret header every request must carry (default: none).")
  String secretHeader;

  @Option(
      names = "--secret-value",
      description = "Its value (default: none; better given as PBS_SECRET_VALUE).")
  String secretValue;

  @Option(
      names = "--server-id",
      description = "Server id of the events (default: this host's name).")
  String serverId;

  @Option(
      names = "--queue-capacity",
      description = "Events held while Kafka is down (default 100000).")
  String queueCapacity;

  @Option(
      names = "--max-unavailable",
      description = "How long an event may wait for Kafka (default 5m).")
  String maxUnavailable;

  @Option(
      names = "--whoson-port",
      description =
          "Port (TCP and UDP) for whoson writers: LOGIN <ip> <user> / LOGOUT <ip> become login"
              + " events, from loopback and --allowed-networks only (default off).")
  String whosonPort;

  IngestConfig config() {
    Map<String, String> flags = new LinkedHashMap<>();
    flags.put("topic.logins", loginsTopic);
    flags.put("bind", bind);
    flags.put("http.port", httpPort);
    flags.put("allowed.networks", allowedNetworks);
    flags.put("secret.header", secretHeader);
    flags.put("secret.value", secretValue);
    flags.put("server.id", serverId);
    flags.put("queue.capacity", queueCapacity);
    flags.put("max.unavailable", maxUnavailable);
    flags.put("whoson.port", whosonPort);
    return IngestConfig.from(
        cluster.load(IngestConfig.SETTINGS, IngestConfig.DEFAULTS, System.getenv(), flags));
  }

  @Override
  public Integer call() throws Exception {
    IngestApp app = IngestApp.start(config());
    return Services.runUntilStopped(app, "ingest");
  }
}
