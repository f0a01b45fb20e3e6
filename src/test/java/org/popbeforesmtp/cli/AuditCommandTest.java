package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.testing.Commands;

/**
 * The audit's time arguments are checked before anything is read or written, and the messages say
 * what is wrong with the instants given (no Kafka is reachable here: nothing may get that far).
 */
class AuditCommandTest {
  @TempDir Path dir;

  private static Commands.Result audit(String... args) {
    List<String> all = new ArrayList<>(List.of("audit"));
    all.addAll(List.of(args));
    all.addAll(List.of("--bootstrap-servers", "127.0.0.1:1", "--schema-registry-url", "mock://a"));
    return Commands.execute(all.toArray(String[]::new));
  }

  @Test
  void shouldRefuseAnInstantInTheFutureSayingSoAndShowingNow() {
    for (String ahead : List.of("+1h", "+1s")) {
      String at =
          Instant.now()
              .plus(ahead.equals("+1h") ? 60 : 0, ChronoUnit.MINUTES)
              .plusSeconds(2)
              .toString();
      Commands.Result r = audit("ip", "203.0.113.5", "--at", at);
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.err())
          .contains("--at " + Instant.parse(at))
          .contains("is in the future (now ")
          .doesNotContain("null")
          .doesNotContain("range");
    }
    Commands.Result to =
        audit("export", "--from=-1h", "--to", Instant.now().plusSeconds(3600).toString());
    assertThat(to.code()).isEqualTo(2);
    assertThat(to.err()).contains("--to ").contains("is in the future").doesNotContain("null");
  }

  @Test
  void shouldNameBothInstantsOfAnEmptyRange() {
    Commands.Result r =
        audit("export", "--from", "2026-03-02T00:00:00Z", "--to", "2026-03-01T00:00:00Z");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("--to 2026-03-01T00:00:00Z is before --from 2026-03-02T00:00:00Z")
        .doesNotContain("null");
  }

  @Test
  void shouldSayWhichRangeAnInstantLiesOutside() {
    Commands.Result r =
        audit(
            "ip",
            "203.0.113.5",
            "--at",
            "2026-03-05T00:00:00Z",
            "--from",
            "2026-03-01T00:00:00Z",
            "--to",
            "2026-03-02T00:00:00Z");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("--at 2026-03-05T00:00:00Z lies outside the range you gave")
        .contains("--from 2026-03-01T00:00:00Z to --to 2026-03-02T00:00:00Z")
        .doesNotContain("null");
  }

  @Test
  void shouldLeaveNoOutputFileWhenItRefusesTheArguments() {
    Path file = dir.resolve("all.csv");
    Commands.Result r = audit("export", "--format", "csv", "--output", file.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("audit export needs --from (and --to, default now)");
    assertThat(file).doesNotExist();
    assertThat(dir.resolve("all.csv.partial")).doesNotExist();
  }

  @Test
  void shouldLeaveNoPartialFileWhenTheCommandFailsAfterOpeningIt() throws Exception {
    Path file = dir.resolve("all.csv");
    Files.writeString(file, "an earlier answer\n");
    // a negative --threads is refused when the replay starts: after the output was opened
    Commands.Result r =
        audit(
            "export",
            "--from=-1h",
            "--format",
            "csv",
            "--output",
            file.toString(),
            "--threads",
            "-1");
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("--threads -1 is negative");
    assertThat(Files.readString(file))
        .as("the earlier file is untouched")
        .isEqualTo("an earlier answer\n");
    assertThat(dir.resolve("all.csv.partial")).doesNotExist();
  }
}
