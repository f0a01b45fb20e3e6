package org.popbeforesmtp.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.ShipperConfig;
import org.popbeforesmtp.grants.TopicUnavailableException;
import org.popbeforesmtp.ingest.LogFollower;
import org.popbeforesmtp.ingest.LogShipper;
import org.popbeforesmtp.ingest.LoginLogParser;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.text.Setting;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code tail}: follows POP/IMAP server logs and publishes their logins, until SIGTERM. */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    modelTransformer = SettingFlags.Transformer.class,
    description = {
      "Follows log files (Dovecot, Courier, Cyrus, UW ipop3d/imapd, qpopper; own or syslog"
          + " format) through rotation and publishes logins, logouts and failures to mail.logins."
          + " A checkpoint per file (in --state-dir) makes a restart continue where it stopped.",
      ""
    })
public final class TailCommand extends SettingFlags.Flagged implements Callable<Integer> {
  @Override
  List<Setting> flagged() {
    return ShipperOptions.TAIL;
  }

  private static final Logger LOG = LoggerFactory.getLogger(TailCommand.class);

  @Parameters(
      arity = "1..*",
      description = "Log files to follow, or - for lines on stdin (e.g. from syslog).")
  List<Path> files;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  /** The process environment (a test gives its own). */
  Map<String, String> env = System.getenv();

  /** The settings: defaults, --config file, PBS_* environment, then the flags. */
  ShipperConfig config() {
    return ShipperOptions.config(cluster, ShipperOptions.TAIL, env, flags);
  }

  @Override
  public Integer call() throws Exception {
    ShipperConfig config = config();
    Duration interval = config.pollInterval();
    LoginLogParser parser = LogOptions.parser(config.zone());
    Path checkpoints =
        config.stateDir() != null ? config.stateDir() : LogOptions.defaultStateDir("tail");
    List<LogFollower> followers = new ArrayList<>();
    boolean stdin = false;
    for (Path file : files) {
      if (file.toString().equals("-")) {
        stdin = true;
      } else {
        followers.add(LogOptions.follower(checkpoints, file));
      }
    }
    LOG.info(
        "tail agent for server {}: {} to {} (checkpoints in {}); counters every minute",
        config.serverId(),
        stdin ? "stdin" : followers.stream().map(LogFollower::path).toList(),
        config.loginsTopic(),
        checkpoints);
    // SIGTERM/Ctrl-C: stop the loop, then let it close the publisher (flushing what Kafka has not
    // acknowledged yet) before the JVM goes, rather than interrupting that close; a read of stdin
    // cannot be interrupted, and is not waited for
    boolean fromStdin = stdin;
    return Services.runUntilStopped(
        "tail", () -> follow(config, followers, parser, fromStdin, interval), !stdin);
  }

  private int follow(
      ShipperConfig config,
      List<LogFollower> followers,
      LoginLogParser parser,
      boolean stdin,
      Duration interval)
      throws Exception {
    try (LoginPublisher publisher = publisher(config, LoginPublisher.RecordTime.ARRIVAL);
        LogShipper shipper = new LogShipper(followers, parser, publisher, config.serverId())) {
      if (stdin) {
        if (!followers.isEmpty()) {
          throw new IllegalArgumentException("read either stdin (-) or files, not both");
        }
        shipStream(
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), shipper);
        return 0;
      }
      long lastReport = System.nanoTime();
      Instant failingSince = null;
      while (!Thread.currentThread().isInterrupted()) {
        int read;
        try {
          read = shipper.shipOnce();
          failingSince = null;
        } catch (InterruptedException e) {
          break;
        } catch (Exception e) {
          // Kafka down or slow: nothing was checkpointed, the same lines are retried
          LOG.warn(
              "could not publish, retrying in 5 s: {}",
              e instanceof TopicUnavailableException ? e.getMessage() : e.toString());
          failingSince = failingSince == null ? Instant.now() : failingSince;
          read = 0;
          sleep(Duration.ofSeconds(5));
        }
        if (System.nanoTime() - lastReport > 60_000_000_000L) {
          lastReport = System.nanoTime();
          LOG.info(
              "{}; {}",
              counts(shipper),
              failingSince == null
                  ? "Kafka takes them"
                  : "Kafka has taken nothing since " + failingSince + " (retrying)");
        }
        if (read == 0 && !sleep(interval)) {
          break;
        }
      }
      // stopping: the interrupt has done its job; closing must not see it
      Thread.interrupted();
      LOG.info("stopping: {}", counts(shipper));
    }
    return 0;
  }

  /** Lines from a stream (stdin) until it closes, in batches of up to 500 lines. */
  static void shipStream(BufferedReader in, LogShipper shipper) throws Exception {
    long streamId = System.currentTimeMillis();
    long lineNumber = 0;
    List<String> batch = new ArrayList<>();
    String line;
    while ((line = in.readLine()) != null) {
      batch.add(line);
      if (batch.size() >= 500 || !in.ready()) {
        shipper.shipStream(batch, streamId, lineNumber);
        lineNumber += batch.size();
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      shipper.shipStream(batch, streamId, lineNumber);
    }
    LOG.info("stdin closed: {} lines, {} logins published", shipper.lines(), shipper.logins());
  }

  /** A publisher of one event at a time that waits up to a minute for Kafka. */
  static LoginPublisher publisher(ShipperConfig config, LoginPublisher.RecordTime recordTime) {
    return new LoginPublisher(
        config.clientProperties(),
        config.loginsTopic(),
        config.registry().newClient(),
        1,
        Duration.ofMinutes(1),
        recordTime);
  }

  private static String counts(LogShipper shipper) {
    return shipper.lines()
        + " lines read, "
        + shipper.logins()
        + " logins published, "
        + shipper.skipped()
        + " other lines";
  }

  private static boolean sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
