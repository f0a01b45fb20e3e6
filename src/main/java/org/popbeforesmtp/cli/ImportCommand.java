package org.popbeforesmtp.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.popbeforesmtp.ingest.LogFollower;
import org.popbeforesmtp.ingest.LogShipper;
import org.popbeforesmtp.ingest.LoginLogParser;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.registry.SerdeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code import}: publishes the logins of old log files with their original timestamps (audit
 * backfill). Resumable: a checkpoint per file in {@code --state-dir} makes a second run continue
 * where an interrupted one stopped; event ids match the tail agent's, so lines both saw are
 * deduplicated.
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = "Publishes the logins found in old log files, with their original timestamps.")
public final class ImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", description = "Log files to import.")
  List<Path> files;

  @Option(names = "--bootstrap-servers", required = true, description = "Kafka brokers.")
  String bootstrapServers;

  @Option(names = "--schema-registry-url", required = true, description = "Schema registry.")
  String registryUrl;

  @Option(
      names = "--topic",
      defaultValue = "mail.logins",
      description = "Default: ${DEFAULT-VALUE}.")
  String topic;

  @Option(
      names = "--server-id",
      required = true,
      description = "Name of the mail server whose log this is.")
  String serverId;

  @Option(
      names = "--zone",
      defaultValue = "UTC",
      description = "Zone of timestamps without an offset (default ${DEFAULT-VALUE}).")
  String zone;

  @Option(
      names = "--state-dir",
      defaultValue = ".pop-before-smtp-import",
      description = "Checkpoints for resuming (default ${DEFAULT-VALUE}).")
  Path stateDir;

  @Option(names = "--kafka", description = "Kafka producer setting, key=value (repeatable).")
  Map<String, String> kafka = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    boolean terminal = System.console() != null;
    Properties props = new Properties();
    props.putAll(kafka);
    props.put("bootstrap.servers", bootstrapServers);
    long total = 0;
    try (LoginPublisher publisher =
        new LoginPublisher(
            props, topic, SerdeConfig.of(registryUrl).newClient(), 1, Duration.ofMinutes(1))) {
      for (Path file : files) {
        if (!Files.isRegularFile(file)) {
          throw new IllegalArgumentException("'" + file + "' is not a readable file");
        }
        long size = Files.size(file);
        LogFollower follower = new LogFollower(file, TailCommand.checkpointOf(stateDir, file));
        try (LogShipper shipper =
            new LogShipper(
                List.of(follower),
                new LoginLogParser(ZoneId.of(zone), Clock.systemUTC()),
                publisher,
                serverId)) {
          long started = System.nanoTime();
          long bytes = 0;
          int read;
          while ((read = shipper.shipOnce()) > 0) {
            bytes = Math.min(size, bytes + read * 100L);
            if (terminal) {
              double secs = (System.nanoTime() - started) / 1e9;
              err.printf(
                  "\r%s: %,d lines, %,d logins, %.0f lines/s",
                  file.getFileName(),
                  shipper.lines(),
                  shipper.logins(),
                  shipper.lines() / Math.max(secs, 1e-3));
              err.flush();
            }
          }
          if (terminal) {
            err.println();
          }
          spec.commandLine()
              .getOut()
              .printf(
                  "%s: %d lines, %d logins published, %d other lines%n",
                  file, shipper.lines(), shipper.logins(), shipper.skipped());
          total += shipper.logins();
        }
      }
    }
    spec.commandLine().getOut().printf("imported %d logins%n", total);
    return 0;
  }
}
