package org.popbeforesmtp.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.ShipperConfig;
import org.popbeforesmtp.ingest.LogFollower;
import org.popbeforesmtp.ingest.LogShipper;
import org.popbeforesmtp.ingest.LoginLogParser;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.text.Setting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
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
    modelTransformer = SettingFlags.Transformer.class,
    description = "Publishes the logins found in old log files, with their original timestamps.")
public final class ImportCommand extends SettingFlags.Flagged implements Callable<Integer> {
  @Override
  List<Setting> flagged() {
    return ShipperOptions.IMPORT;
  }

  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", description = "Log files to import.")
  List<Path> files;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws Exception {
    ShipperConfig config =
        ShipperOptions.config(cluster, ShipperOptions.IMPORT, System.getenv(), flags);
    Path checkpoints = config.stateDir();
    LoginLogParser parser = LogOptions.parser(config.zone());
    PrintWriter err = spec.commandLine().getErr();
    long total = 0;
    try (LoginPublisher publisher =
        TailCommand.publisher(config, LoginPublisher.RecordTime.EVENT)) {
      for (Path file : files) {
        if (!Files.isRegularFile(file)) {
          throw new IllegalArgumentException("'" + file + "' is not a readable file");
        }
        long size = Files.size(file);
        LogFollower follower = LogOptions.follower(checkpoints, file);
        try (LogShipper shipper =
            new LogShipper(List.of(follower), parser, publisher, config.serverId())) {
          ProgressBar progress =
              new ProgressBar(
                  err, file.getFileName().toString(), "bytes", ProgressBar.onTerminal());
          while (shipper.shipOnce() > 0) {
            progress.update(
                shipper.lastOffset(),
                size,
                String.format(
                    Locale.ROOT, "%,d lines, %,d logins", shipper.lines(), shipper.logins()));
          }
          progress.finish();
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
