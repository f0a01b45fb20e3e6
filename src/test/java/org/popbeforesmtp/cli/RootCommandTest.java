package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RootCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = RootCommand.newCommandLine();
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
  void shouldPrintHelpAndExitZero() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("Usage: pop-before-smtp").contains("relay");
  }

  @Test
  void shouldExitTwoOnAnUnknownOption() {
    assertThat(run("--no-such-option")).isEqualTo(2);
    assertThat(err.toString()).contains("--no-such-option");
  }
}
