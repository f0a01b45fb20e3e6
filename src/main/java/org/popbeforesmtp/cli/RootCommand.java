package org.popbeforesmtp.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.common.errors.SerializationException;
import org.popbeforesmtp.grants.TopicUnavailableException;
import org.popbeforesmtp.runtime.TopicProvisioner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The {@code pop-before-smtp} command; each capability is a subcommand. */
@Command(
    name = "pop-before-smtp",
    mixinStandardHelpOptions = true,
    versionProvider = RootCommand.Version.class,
    description = {
      "POP-before-SMTP relay authorization on Apache Kafka: POP/IMAP logins become per-IP relay"
          + " grants that expire after a TTL, answered to SMTP gateways such as Postfix."
    })
public final class RootCommand implements Callable<Integer> {
  /** The subcommands, in the order --help lists them. */
  private static final List<Class<?>> SUBCOMMANDS =
      List.of(
          ProcessorCommand.class,
          EdgeCommand.class,
          IngestCommand.class,
          PublishCommand.class,
          TailCommand.class,
          ImportCommand.class,
          TopicsCommand.class,
          AuditCommand.class,
          DevCommand.class,
          BenchCommand.class,
          CommandLine.HelpCommand.class);

  @Spec CommandSpec spec;

  @Option(
      names = LogLevels.VERBOSE,
      scope = ScopeType.INHERIT,
      description =
          "More detail: debug lines of this program, the Kafka clients' info lines, and stack"
              + " traces with errors. PBS_LOG_LEVEL=debug|info|warn|error sets this program's"
              + " level alone.")
  boolean verbose;

  /**
   * The command line that runs {@code args}, as {@code Main} runs it (with none: every subcommand):
   * when they name a subcommand, with that one alone. Picocli builds a subcommand's whole model,
   * options and their types, when it is added, and {@code publish}'s option types are Avro enums,
   * whose schemas load Avro and Jackson: with every subcommand built, {@code audit --version} took
   * 0.95 s, alone 0.45 s (an {@code audit ip} answer, which loads both anyway, gains about 0.1 s).
   * Anything else (no subcommand, {@code help}, a misspelt name) gets every subcommand, to list
   * them or suggest the nearest.
   */
  public static CommandLine newCommandLine(String... args) {
    String first = null;
    for (String a : args) {
      if (!a.startsWith("-")) {
        first = a;
        break;
      }
    }
    for (Class<?> c : SUBCOMMANDS) {
      if (c != CommandLine.HelpCommand.class
          && c.getAnnotation(Command.class).name().equals(first)) {
        return build(List.of(c));
      }
    }
    return build(SUBCOMMANDS);
  }

  private static CommandLine build(List<Class<?>> subcommands) {
    CommandLine cli = new CommandLine(new RootCommand());
    for (Class<?> c : subcommands) {
      cli.addSubcommand(new CommandLine(c)); // from a class, picocli skips modelTransformer
    }
    versions(cli);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    // one line that says what is wrong, no stack trace unless --verbose: a bad setting
    // (IllegalArgumentException from validation) is a usage error, exit 2; what stands in the way
    // at run time (Kafka unreachable, a topic missing or misconfigured, anything else) exit 1
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean verbose = verbose(parseResult);
          if (verbose) {
            e.printStackTrace(commandLine.getErr());
          }
          if (e instanceof IllegalArgumentException) {
            commandLine.getErr().println("error: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
          }
          if (e instanceof TopicUnavailableException
              || e instanceof TopicProvisioner.TopicConfigException
              || e instanceof SerializationException) {
            commandLine.getErr().println("error: " + e.getMessage());
            return CommandLine.ExitCode.SOFTWARE;
          }
          commandLine
              .getErr()
              .println(
                  "error: " + e + (verbose ? "" : " (run with --verbose for where it came from)"));
          return CommandLine.ExitCode.SOFTWARE;
        });
    return cli;
  }

  /** Every subcommand's --version says what the root's does (picocli does not inherit it). */
  private static void versions(CommandLine cli) {
    for (CommandLine sub : cli.getSubcommands().values()) {
      sub.getCommandSpec().versionProvider(new Version());
      versions(sub);
    }
  }

  private static boolean verbose(ParseResult result) {
    for (ParseResult r = result; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption(LogLevels.VERBOSE)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return CommandLine.ExitCode.USAGE;
  }

  /** Versions from the build (project, Kafka, Avro). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      Properties p = new Properties();
      try (InputStream in =
          RootCommand.class.getResourceAsStream("/pop-before-smtp-version.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new String[] {
        "pop-before-smtp " + p.getProperty("version", "unknown"),
        "Kafka "
            + p.getProperty("kafka.version", "unknown")
            + ", Avro "
            + p.getProperty("avro.version", "unknown")
            + ", Java "
            + System.getProperty("java.version")
      };
    }
  }
}
