package org.popbeforesmtp.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.popbeforesmtp.cli.RootCommand;

/** Runs the command line in-process, as {@code java -jar pop-before-smtp.jar} would. */
public final class Commands {
  private Commands() {}

  /** Runs {@code args}, asserts exit code 0 (with both outputs as the message), returns stdout. */
  public static String run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cli = RootCommand.newCommandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute(args)).as(out + "\n" + err).isZero();
    return out.toString();
  }
}
