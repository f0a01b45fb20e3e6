package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ProcessorCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = RootCommand.newCommandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test
  void shouldDocumentPrecedenceInHelp() {
    assertThat(run("processor", "--help")).isZero();
    assertThat(out.toString())
        .contains("--bootstrap-servers")
        .contains("environment variables")
        .contains("PBS_KAFKA_");
  }

  @Test
  void shouldExitTwoNamingAMissingSetting() {
    assertThat(run("processor", "--schema-registry-url", "mock://x")).isEqualTo(2);
    assertThat(err.toString()).contains("bootstrap.servers is required");
  }

  @Test
  void shouldExitTwoNamingABadValue() {
    assertThat(
            run(
                "processor",
                "--bootstrap-servers",
                "127.0.0.1:1",
                "--schema-registry-url",
                "mock://x",
                "--ttl",
                "soon"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("ttl 'soon'");
  }
}
