package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.testing.Commands;

/** `dev` checks its flags before it starts anything: a bad value costs no broker start-up. */
class DevCommandTest {
  @TempDir Path dir;

  @Test
  void shouldRefuseABadTtlBeforeStartingAnything() {
    Path data = dir.resolve("dev-data");
    for (String[] bad :
        new String[][] {
          {"banana", "'banana' is not a duration"}, {"0", "'0' has no unit: write it as e.g. 0s"}
        }) {
      Commands.Result r = Commands.execute("dev", "--data-dir", data.toString(), "--ttl", bad[0]);
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).contains(bad[1]);
      // the embedded broker writes its log under the data directory as it starts
      assertThat(data).as("nothing started, nothing written").doesNotExist();
    }
  }
}
