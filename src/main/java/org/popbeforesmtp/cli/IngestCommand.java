package org.popbeforesmtp.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.runtime.IngestApp;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ingest}: the Dovecot auth-policy endpoint, until SIGTERM. */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    modelTransformer = IngestCommand.Flags.class,
    description = {
      "Receives Dovecot auth-policy reports on POST /v1/dovecot-policy and publishes them as"
          + " login events to mail.logins.",
      "",
      "Settings, lowest precedence first: built-in defaults, the --config properties file,"
          + " environment variables (PBS_ + the setting name in upper case), flags. Other file"
          + " keys, PBS_KAFKA_<NAME> variables and --kafka key=value go to the Kafka producer.",
      ""
    })
public final class IngestCommand implements Callable<Integer>, SettingFlags.Target {
  @Mixin ClusterOptions cluster = new ClusterOptions();

  /** Its flags: every setting of ingest. */
  static final class Flags implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      return SettingFlags.add(spec, IngestConfig.DECLARED, false);
    }
  }

  private final Map<String, String> flags = new LinkedHashMap<>();

  @Override
  public Map<String, String> flags() {
    return flags;
  }

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
