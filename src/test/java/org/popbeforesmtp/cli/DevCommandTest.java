package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `dev` checks its flags before it starts anything: a bad value costs no broker start-up. */
class DevCommandTest {
  @TempDir Path dir;

  private int dev(StringWriter err, String... args) {
    CommandLine cli = RootCommand.newCommandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test
  void shouldRefuseABadTtlBeforeStartingAnything() {
    Path data = dir.resolve("dev-data");
    for (String[] bad :
        new String[][] {
          {"banana", "'banana' is not a duration"}, {"0", "'0' has no unit: write it as e.g. 0s"}
        }) {
      StringWriter err = new StringWriter();
      int code = dev(err, "dev", "--data-dir", data.toString(), "--ttl", bad[0]);
      assertThat(code).as(err.toString()).isEqualTo(2);
      assertThat(err.toString()).contains(bad[1]);
      // the embedded broker writes its log under the data directory as it starts
      assertThat(data).as("nothing started, nothing written").doesNotExist();
    }
  }
}
