package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

class RootCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = RootCommand.newCommandLine(args);
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test
  void shouldPrintVersionsAndExitZero() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("pop-before-smtp ").contains("Kafka 4.4");
  }

  @Test
  void aSubcommandPrintsTheVersionsToo() {
    assertThat(run("audit", "ip", "--version")).isZero();
    assertThat(out.toString()).startsWith("pop-before-smtp ").contains("Kafka 4.4");
  }

  @Test
  void aNamedSubcommandIsBuiltAloneAndAnythingElseWithEvery() {
    assertThat(RootCommand.newCommandLine("--verbose", "audit", "ip").getSubcommands().keySet())
        .containsExactly("audit");
    assertThat(RootCommand.newCommandLine("--help").getSubcommands())
        .containsKeys("processor", "edge", "audit", "dev", "bench", "help");
    assertThat(RootCommand.newCommandLine("help", "audit").getSubcommands()).hasSize(11);
    assertThat(RootCommand.newCommandLine("audti").getSubcommands()).hasSize(11);
  }

  @Test
  void shouldPrintHelpAndExitZero() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("Usage: pop-before-smtp").contains("relay");
  }

  @Test
  void shouldExitTwoOnAnUnknownOption() {
    assertThat(run("--no-such-option")).isEqualTo(2);
    assertThat(err.toString()).contains("--no-such-option");
  }

  @Test
  void everyOptionSaysItsDefaultOrThatItIsRequired() {
    List<String> silent = new ArrayList<>();
    collectSilent(RootCommand.newCommandLine(), silent);
    assertThat(silent).as("options whose --help says neither a default nor required").isEmpty();
  }

  private static void collectSilent(CommandLine cli, List<String> silent) {
    for (OptionSpec o : cli.getCommandSpec().options()) {
      String d = String.join(" ", o.description()).toLowerCase(Locale.ROOT);
      boolean flag = o.typeInfo().isBoolean() || o.usageHelp() || o.versionHelp();
      if (!flag
          && !o.required()
          && !d.contains("default")
          && !d.contains("required")
          && !d.contains("repeatable")) {
        silent.add(cli.getCommandName() + " " + o.longestName());
      }
    }
    cli.getSubcommands().values().forEach(c -> collectSilent(c, silent));
  }
}
