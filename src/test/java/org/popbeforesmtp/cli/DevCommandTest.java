package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.runtime.DataDirLock;
import org.popbeforesmtp.testing.Commands;

/**
 * `dev` checks its flags, its data directory and its ports before it starts anything: a bad value,
 * a second `dev` or a port in use costs no broker start-up and touches nothing.
 */
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

  @Test
  void shouldRefuseASecondDevOnTheSameDataDirectoryWithoutTouchingIt() throws Exception {
    Path data = dir.resolve("dev-data");
    DataDirLock first = DataDirLock.acquire(data);
    try {
      Commands.Result r = Commands.execute("dev", "--data-dir", data.toString());
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.err())
          .contains("dev is already running on " + data.toAbsolutePath())
          .contains("pid " + ProcessHandle.current().pid());
      try (var files = Files.list(data)) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactly("dev.lock");
      }
    } finally {
      first.close();
    }
  }

  @Test
  void shouldNameAPortInUseAndLetGoOfTheDataDirectory() throws Exception {
    Path data = dir.resolve("dev-data");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Commands.Result r =
          Commands.execute(
              "dev",
              "--data-dir",
              data.toString(),
              "--kafka-port",
              Integer.toString(taken.getLocalPort()));
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.err())
          .contains("port " + taken.getLocalPort() + " (--kafka-port) is in use on 127.0.0.1");
    }
    DataDirLock.acquire(data).close(); // released: the refusing dev let go of it
    assertThat(data.resolve("kafka")).as("no broker started").doesNotExist();
  }
}
