package org.popbeforesmtp.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.TopicUnavailableException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code pop-before-smtp} command; each capability is a subcommand. */
@Command(
    name = "pop-before-smtp",
    mixinStandardHelpOptions = true,
    versionProvider = RootCommand.Version.class,
    description = {
      "POP-before-SMTP relay authorization on Apache Kafka: POP/IMAP logins become per-IP relay"
          + " grants that expire after a TTL, answered to SMTP gateways such as Postfix."
    },
    subcommands = {
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
      CommandLine.HelpCommand.class
    })
public final class RootCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** The command line with every subcommand, as {@code Main} runs it. */
  public static CommandLine newCommandLine() {
    CommandLine cli = new CommandLine(new RootCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    // a bad setting (IllegalArgumentException from config validation) is a usage error: exit 2
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof IllegalArgumentException) {
            commandLine.getErr().println("error: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
          }
          if (e instanceof TopicUnavailableException) {
            commandLine.getErr().println("error: " + e.getMessage());
            return CommandLine.ExitCode.SOFTWARE;
          }
          throw e;
        });
    return cli;
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
