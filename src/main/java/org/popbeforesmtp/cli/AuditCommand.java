package org.popbeforesmtp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.popbeforesmtp.audit.Audit;
import org.popbeforesmtp.audit.AuditOutput;
import org.popbeforesmtp.audit.GrantInterval;
import org.popbeforesmtp.audit.HistoryReader;
import org.popbeforesmtp.audit.Verdict;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.grants.GrantRules;
import org.popbeforesmtp.grants.InvalidEventException;
import org.popbeforesmtp.text.Instants;
import org.popbeforesmtp.text.Setting;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code audit}: answers questions about the past by replaying the login history through the same
 * grant rules the processor runs. Reads only; writes nothing to Kafka.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "Replays mail.logins and relay.revocations through the processor's grant rules to answer:"
          + " was an IP allowed to relay at an instant and because of which login (audit ip),"
          + " which addresses a user could relay from (audit user), and every grant and refusal"
          + " in a range (audit export). Reads with a plain consumer; writes nothing.",
      "",
      "The grant settings (TTL, prefix lengths, never-grant networks, user cap) default to the"
          + " processor's: same --config file, PBS_* variables and flags. The output states the"
          + " rules it replayed with.",
      ""
    },
    subcommands = {
      AuditCommand.Ip.class,
      AuditCommand.User.class,
      AuditCommand.Export.class,
      CommandLine.HelpCommand.class
    })
public final class AuditCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return CommandLine.ExitCode.USAGE;
  }

  /** Where to read, with which rules, and how to write. */
  static final class Options {
    @Mixin ClusterOptions cluster = new ClusterOptions();

    @Option(
        names = "--format",
        defaultValue = "table",
        description = "table, json, jsonl or csv (default ${DEFAULT-VALUE}).")
    AuditOutput.Format format;

    @Option(
        names = "--output",
        description = "Write to this file instead of standard output (default: standard output).")
    Path output;

    @Option(
        names = "--threads",
        description =
            "Replays side by side, each on a share of the login partitions (grants per address"
                + " only; default: one per core).",
        defaultValue = "0",
        showDefaultValue = CommandLine.Help.Visibility.NEVER)
    int threads;

    int threads() {
      if (threads < 0) {
        throw new IllegalArgumentException(
            "--threads " + threads + " is negative: give 1 or more, or leave it out");
      }
      return threads == 0 ? Audit.defaultThreads() : threads;
    }

    ProcessorConfig config(Map<String, String> env, Map<String, String> flags) {
      return ProcessorConfig.from(
          cluster.load(ProcessorConfig.SETTINGS, ProcessorConfig.DEFAULTS, env, flags));
    }
  }

  /** Replays one question and writes its answer. */
  abstract static class Question extends SettingFlags.Flagged implements Callable<Integer> {
    @Override
    List<Setting> flagged() {
      return ConfigSources.concat(ConfigSources.CLUSTER, ProcessorConfig.RULES);
    }

    @Spec CommandSpec spec;

    @Mixin Options options = new Options();

    @Option(
        names = "--from",
        description =
            "Start of the range: ISO-8601 (2026-11-26T03:00:00Z) or relative (-2h) (default: a"
                + " TTL before --at, else the oldest login kept).")
    String from;

    @Option(names = "--to", description = "End of the range (default: now).")
    String to;

    Map<String, String> env = System.getenv();

    abstract Audit.Question question();

    /** The instant to give a verdict for, or null. */
    Instant at(Instant now) {
      return null;
    }

    /**
     * Refuses an instant after {@code now}: an audit answers about what has happened (a question
     * about the future would read nothing and answer "not allowed").
     */
    private static Instant notInFuture(String option, Instant instant, Instant now) {
      if (instant != null && instant.isAfter(now)) {
        throw new IllegalArgumentException(
            option
                + " "
                + instant
                + " is in the future (now "
                + now
                + "): an audit answers about what has happened; give an instant up to now");
      }
      return instant;
    }

    /** Range start when --from is not given: around {@code --at}, else the topic's start. */
    long defaultFrom(Instant at, long ttl) {
      return at != null ? at.toEpochMilli() - ttl : 0L;
    }

    @Override
    public Integer call() throws IOException {
      Instant now = Instant.now();
      ProcessorConfig config = options.config(env, flags);
      Instant at = notInFuture("--at", at(now), now);
      Instant fromInstant =
          notInFuture("--from", from == null ? null : Instants.parse("--from", from, now), now);
      Instant toInstant =
          notInFuture("--to", to == null ? null : Instants.parse("--to", to, now), now);
      long ttl = config.policy().ttl().toMillis();
      long start = fromInstant == null ? defaultFrom(at, ttl) : fromInstant.toEpochMilli();
      long end;
      if (toInstant != null) {
        end = toInstant.toEpochMilli();
      } else if (at != null && fromInstant == null) {
        end = Math.min(now.toEpochMilli(), at.toEpochMilli() + ttl);
      } else {
        end = Long.MAX_VALUE;
      }
      if (toInstant != null && fromInstant != null && end < start) {
        throw new IllegalArgumentException(
            "--to " + toInstant + " is before --from " + fromInstant + ": the range is empty");
      }
      if (at != null && (at.toEpochMilli() < start || at.toEpochMilli() > end)) {
        throw new IllegalArgumentException(
            "--at "
                + at
                + " lies outside the range you gave ("
                + (fromInstant == null ? "from the start" : "--from " + fromInstant)
                + (toInstant == null ? " to now" : " to --to " + toInstant)
                + "); widen the range or drop --from/--to");
      }
      Audit.Question question = question(); // every argument checked before anything opens
      Properties props = config.clientProperties();
      PrintWriter err = spec.commandLine().getErr();
      // a file is written next to its destination and moved there when the answer is complete:
      // a failed command leaves no partial file
      Path partial =
          options.output == null
              ? null
              : options.output.resolveSibling(options.output.getFileName() + ".partial");
      boolean complete = false;
      try {
        try (PrintWriter out = open(partial);
            HistoryReader reader = new HistoryReader(props, config.registry().newClient())) {
          AuditOutput output = AuditOutput.of(options.format, out, config.policy());
          output.begin();
          List<GrantInterval> covering = new ArrayList<>();
          ProgressBar bar = new ProgressBar(err, "replaying", "records", ProgressBar.onTerminal());
          Audit.Report report =
              Audit.run(
                  reader,
                  config.policy(),
                  config.topics(),
                  question,
                  start,
                  end,
                  now.toEpochMilli(),
                  options.threads(),
                  i -> {
                    if (at != null && i.covers(at.toEpochMilli())) {
                      covering.add(i);
                    }
                    output.interval(i);
                  },
                  output::refusal,
                  (read, total) -> bar.update(read, total, ""));
          bar.finish();
          Verdict verdict =
              at == null ? null : Verdict.at(covering, at.toEpochMilli(), config.policy());
          output.end(report, verdict);
          if (partial != null && out.checkError()) {
            throw new IOException("could not write " + partial + ": is the disk full?");
          }
          if (options.format != AuditOutput.Format.TABLE || options.output != null) {
            err.println(AuditOutput.readSummary(report));
            if (verdict != null) {
              err.println(AuditOutput.verdictLine(verdict));
            }
            err.flush();
          }
        }
        if (partial != null) {
          Files.move(partial, options.output, StandardCopyOption.REPLACE_EXISTING);
        }
        complete = true;
      } finally {
        if (!complete && partial != null) {
          Files.deleteIfExists(partial);
        }
      }
      return 0;
    }

    private PrintWriter open(Path file) throws IOException {
      if (file == null) {
        return new PrintWriter(spec.commandLine().getOut()) {
          @Override
          public void close() {
            flush(); // standard output stays open
          }
        };
      }
      return new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
    }
  }

  /** {@code audit ip}. */
  @Command(
      modelTransformer = SettingFlags.Transformer.class,
      name = "ip",
      mixinStandardHelpOptions = true,
      description = {
        "The grants of an address or prefix in a range, each with the logins that opened and"
            + " extended it and how it ended; with --at, first a verdict: could it relay then,"
            + " and because of which login. An address reads only the partition its logins are"
            + " in.",
        ""
      })
  static final class Ip extends Question {
    @Parameters(index = "0", paramLabel = "IP|PREFIX", description = "e.g. 198.51.100.23")
    String target;

    @Option(
        names = "--at",
        description =
            "Was it allowed at this instant, and why? ISO-8601, relative (-5m) or now (default:"
                + " no verdict, every interval of the range).")
    String at;

    @Override
    Audit.Question question() {
      try {
        GrantRules.canonicalTarget(target);
      } catch (InvalidEventException e) {
        throw new IllegalArgumentException(
            "'" + target + "' is not an IP address or prefix (" + e.getMessage() + ")");
      }
      return new Audit.ForAddress(target);
    }

    @Override
    Instant at(Instant now) {
      return at == null ? null : Instants.parse("--at", at, now);
    }
  }

  /** {@code audit user}. */
  @Command(
      modelTransformer = SettingFlags.Transformer.class,
      name = "user",
      mixinStandardHelpOptions = true,
      description = {"Every key a user's logins granted in a range, as intervals.", ""})
  static final class User extends Question {
    @Parameters(index = "0", paramLabel = "USERNAME")
    String username;

    @Override
    Audit.Question question() {
      return new Audit.ForUser(username);
    }
  }

  /** {@code audit export}. */
  @Command(
      modelTransformer = SettingFlags.Transformer.class,
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Every grant interval and every refused login (failed, never-grant network, shared"
            + " address, future-dated, revoked, ...) in a range. Streams JSON lines or CSV"
            + " for any size.",
        ""
      })
  static final class Export extends Question {
    @Override
    Audit.Question question() {
      if (from == null) {
        throw new IllegalArgumentException(
            "audit export needs --from (and --to, default now), e.g. --from 2026-03-01 --to"
                + " 2026-04-01, or --from=-1d");
      }
      return new Audit.Everything();
    }
  }
}
