package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop (SIGTERM) of a service whose close hangs ends in a hard stop after the stop limit, with
 * exit code 1 and a line that says so, instead of a process that never exits (as `dev` once did for
 * 45 minutes).
 */
class ServicesStopIT {
  @TempDir Path dir;

  @Test
  void aCloseThatHangsEndsInAHardStopAfterTheLimit() throws Exception {
    Path log = dir.resolve("hanging.log");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                HangingService.class.getName())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> Files.readString(log).contains("running"));
      long stop = System.nanoTime();
      p.destroy(); // SIGTERM: the shutdown hook closes the service, which hangs
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the process exits").isTrue();
      double took = (System.nanoTime() - stop) / 1e9;
      String said = Files.readString(log);
      System.out.printf("HARD STOP: exit %d after %.1f s (limit 2 s)%n", p.exitValue(), took);
      assertThat(said).contains("hanging did not stop within 2 s; stopping hard");
      assertThat(p.exitValue()).isEqualTo(1);
      assertThat(took).isBetween(1.5, 20.0);
    } finally {
      p.destroyForcibly();
    }
  }
}
