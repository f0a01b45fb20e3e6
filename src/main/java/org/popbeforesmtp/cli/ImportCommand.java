package org.popbeforesmtp.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.ShipperConfig;
import org.popbeforesmtp.ingest.LogFollower;
import org.popbeforesmtp.ingest.LogShipper;
import org.popbeforesmtp.ingest.LoginLogParser;
import org.popbeforesmtp.ingest.LoginPublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Mixin ShipperOptions shipper = new ShipperOptions();

  @Mixin LogOptions log = new LogOptions();

  @Option(
      names = "--state-dir",
      description = "Checkpoints for resuming (default " + DEFAULT_STATE_DIR + ").")
  String stateDir;

  static final String DEFAULT_STATE_DIR = ".pop-before-smtp-import";

  @Override
  public Integer call() throws Exception {
    Map<String, String> flags = new LinkedHashMap<>();
    log.putInto(flags);
    flags.put("state.dir", stateDir);
    ShipperConfig config = shipper.config(ShipperConfig.DEFAULTS, flags);
    Path checkpoints = config.stateDir() != null ? config.stateDir() : Path.of(DEFAULT_STATE_DIR);
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
