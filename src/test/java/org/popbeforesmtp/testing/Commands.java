package org.popbeforesmtp.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.popbeforesmtp.cli.RootCommand;

/** Runs the command line in-process, as {@code java -jar pop-before-smtp.jar} would. */
public final class Commands {
  private Commands() {}

  /** What a command did: its exit code and both outputs. */
  public record Result(int code, String out, String err) {}

  /** Runs {@code args} and returns what it did, whatever its exit code. */
  public static Result execute(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cli = RootCommand.newCommandLine(args); // as Main builds it
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  /** Runs {@code args}, asserts exit code 0 (with both outputs as the message), returns stdout. */
  public static String run(String... args) {
    Result r = execute(args);
    assertThat(r.code()).as(r.out() + "\n" + r.err()).isZero();
    return r.out();
  }

  /**
   * {@code publish} of a successful login of {@code user} from {@code ip} (plus {@code extra}
   * flags, e.g. {@code --kafka k=v}); asserts exit code 0.
   */
  public static String publish(
      String bootstrap, String registryUrl, String user, String ip, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "publish",
                "--bootstrap-servers",
                bootstrap,
                "--schema-registry-url",
                registryUrl,
                "--user",
                user,
                "--ip",
                ip));
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  /** {@code --kafka key=value} flags for each setting. */
  public static String[] kafkaFlags(Map<String, String> settings) {
    List<String> flags = new ArrayList<>();
    settings.forEach((k, v) -> flags.addAll(List.of("--kafka", k + "=" + v)));
    return flags.toArray(String[]::new);
  }
}
