package org.popbeforesmtp.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.runtime.IngestApp;
import org.popbeforesmtp.text.Setting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ingest}: the Dovecot auth-policy endpoint, until SIGTERM. */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    modelTransformer = SettingFlags.Transformer.class,
    description = {
      "Receives Dovecot auth-policy reports on POST /v1/dovecot-policy and publishes them as"
          + " login events to mail.logins.",
      "",
      "Settings, lowest precedence first: built-in defaults, the --config properties file,"
          + " environment variables (PBS_ + the setting name in upper case), flags. Other file"
          + " keys, PBS_KAFKA_<NAME> variables and --kafka key=value go to the Kafka producer.",
      ""
    })
public final class IngestCommand extends SettingFlags.Flagged implements Callable<Integer> {
  @Override
  List<Setting> flagged() {
    return IngestConfig.DECLARED;
  }

  @Mixin ClusterOptions cluster = new ClusterOptions();

  IngestConfig config() {
    return IngestConfig.from(
        cluster.load(IngestConfig.SETTINGS, IngestConfig.DEFAULTS, System.getenv(), flags));
  }

  @Override
  public Integer call() throws Exception {
    IngestApp app = IngestApp.start(config());
    return Services.runUntilStopped(app, "ingest");
  }
}
