package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.testing.Commands;
import org.popbeforesmtp.testing.LoopbackPorts;

/**
 * `dev` as a user runs it (the jar, its own JVM) killed with SIGKILL and started again on the same
 * data directory: the lock the dead process held is gone with it, the restarted stack comes up
 * without errors and still grants what was granted before the crash; a SIGTERM then stops it
 * cleanly within the stop limit.
 */
class DevCrashIT {
  private static final String IP = "203.0.113.44";

  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void aDevStackKilledWithSigkillRestartsOnItsDataAndStillGrants() throws Exception {
    int kafka = LoopbackPorts.free();
    int registry = LoopbackPorts.free();
    int api = LoopbackPorts.free();
    int edge = LoopbackPorts.free();
    int ingest = LoopbackPorts.free();
    String[] flags = {
      "--data-dir", dir.resolve("data").toString(),
      "--kafka-port", Integer.toString(kafka),
      "--schema-registry-port", Integer.toString(registry),
      "--api-port", Integer.toString(api),
      "--edge-port", Integer.toString(edge),
      "--ingest-port", Integer.toString(ingest),
      "--policy-port", "0",
      "--socketmap-port", "0",
      "--whoson-port", "0",
      "--ttl", "30m"
    };
    Path firstLog = dir.resolve("first.log");
    Process first = dev(flags, firstLog);
    awaitUp(first, firstLog, Duration.ofSeconds(120));
    Commands.publish("127.0.0.1:" + kafka, "http://127.0.0.1:" + registry, "alice", IP);
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> get(edge, "/v1/check/" + IP).contains("\"relay\":true"));

    first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    long restart = System.nanoTime();
    Path secondLog = dir.resolve("second.log");
    Process second = dev(flags, secondLog);
    awaitUp(second, secondLog, Duration.ofSeconds(120));
    double upAfter = (System.nanoTime() - restart) / 1e9;
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> get(api, "/v1/grants/" + IP).contains("\"username\":\"alice\""));
    assertThat(get(edge, "/v1/check/" + IP)).contains("\"relay\":true");
    // after a crash exactly-once state has no checkpoint: Streams says the tasks are corrupted
    // and rebuilds them from their changelogs (one ERROR line of its own); nothing else is an error
    assertThat(Files.readAllLines(secondLog))
        .as("the restart after a crash")
        .filteredOn(l -> l.contains(" ERROR "))
        .allSatisfy(l -> assertThat(l).contains("TaskCorruptedException"));
    assertThat(Files.readString(secondLog)).doesNotContain("already running");

    long stop = System.nanoTime();
    second.destroy(); // SIGTERM, as Ctrl-C
    assertThat(second.waitFor(40, TimeUnit.SECONDS)).as("a clean stop").isTrue();
    System.out.printf(
        "DEV CRASH: restarted on the killed stack's data and up after %.1f s, the grant made"
            + " before the crash still served; SIGTERM stopped it in %.1f s (exit %d)%n",
        upAfter, (System.nanoTime() - stop) / 1e9, second.exitValue());
    // a JVM stopped by SIGTERM exits 143 once its shutdown hooks are done (1 would be the hard
    // stop)
    assertThat(second.exitValue()).isEqualTo(143);
  }

  private Process dev(String[] flags, Path log) throws Exception {
    Path jar = Path.of("target", "pop-before-smtp.jar");
    assertThat(jar).as("the jar (built by mvn package before the ITs)").exists();
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "dev"));
    command.addAll(List.of(flags));
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(p);
    return p;
  }

  private static void awaitUp(Process dev, Path log, Duration atMost) throws Exception {
    try {
      await()
          .atMost(atMost)
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() -> Files.readString(log).contains("dev stack is up"));
    } catch (ConditionTimeoutException e) {
      // what the stack was doing is the only clue to why it did not come up: show its log's end
      List<String> lines = Files.readAllLines(log);
      throw new AssertionError(
          "the dev stack was not up after "
              + atMost.toSeconds()
              + " s; the last lines of "
              + log.getFileName()
              + ":\n"
              + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()))
              + "\nits stream threads:\n"
              + streamThreads(dev),
          e);
    }
  }

  /**
   * The stacks of the stream threads and the state updaters of a running stack (jcmd's thread
   * dump), each cut to its top frames: where Streams waits.
   */
  private static String streamThreads(Process dev) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process dump =
        new ProcessBuilder(jcmd.toString(), Long.toString(dev.pid()), "Thread.print")
            .redirectErrorStream(true)
            .start();
    String out = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    dump.waitFor(30, TimeUnit.SECONDS);
    StringBuilder picked = new StringBuilder();
    for (String thread : out.split("\n\n")) {
      if (thread.contains("StreamThread") || thread.contains("StateUpdater")) {
        List<String> frames = thread.lines().toList();
        picked.append(String.join("\n", frames.subList(0, Math.min(14, frames.size()))));
        picked.append("\n");
      }
    }
    return picked.isEmpty() ? "(none yet)\n" : picked.toString();
  }

  private String get(int port, String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
