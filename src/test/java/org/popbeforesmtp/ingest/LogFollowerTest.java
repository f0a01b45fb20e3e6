package org.popbeforesmtp.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFollowerTest {
  @TempDir Path dir;

  private Path log() {
    return dir.resolve("mail.log");
  }

  private Path checkpoint() {
    return dir.resolve("state/mail.log.checkpoint");
  }

  private void append(Path file, String text) throws IOException {
    Files.writeString(
        file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static List<String> texts(List<LogFollower.Line> lines) {
    return lines.stream().map(LogFollower.Line::text).toList();
  }

  @Test
  void shouldReadCompleteLinesOnlyAndWaitForAMissingFile() throws IOException {
    try (LogFollower f = new LogFollower(log(), checkpoint())) {
      assertThat(f.poll()).as("no file yet").isEmpty();
      append(log(), "one\ntw");
      assertThat(texts(f.poll())).containsExactly("one");
      append(log(), "o\r\nthree\n");
      assertThat(texts(f.poll())).containsExactly("two", "three");
      assertThat(f.poll()).isEmpty();
    }
  }

  @Test
  void shouldFollowRotationByRenameAndByCopytruncate() throws IOException {
    try (LogFollower f = new LogFollower(log(), checkpoint())) {
      append(log(), "a1\n");
      assertThat(texts(f.poll())).containsExactly("a1");
      append(log(), "a2\n");
      Files.move(log(), dir.resolve("mail.log.1"));
      append(log(), "b1\n");
      assertThat(texts(f.poll())).containsExactly("a2", "b1");

      append(log(), "b2\n");
      Files.writeString(log(), ""); // copytruncate
      append(log(), "c1\n");
      List<LogFollower.Line> after = f.poll();
      assertThat(texts(after)).containsExactly("c1");
      assertThat(after.get(0).offset()).isZero();
    }
  }

  @Test
  void shouldResumeFromTheCheckpointWithoutLosingOrRepeatingLines() throws IOException {
    try (LogFollower f = new LogFollower(log(), checkpoint())) {
      append(log(), "l1\nl2\n");
      List<LogFollower.Line> lines = f.poll();
      f.commit(lines.get(0)); // only l1 was delivered
    }
    append(log(), "l3\n");
    try (LogFollower f = new LogFollower(log(), checkpoint())) {
      assertThat(texts(f.poll())).containsExactly("l2", "l3");
    }
  }

  @Test
  void shouldFinishTheRotatedFileWhenRotationHappenedWhileStopped() throws IOException {
    try (LogFollower f = new LogFollower(log(), checkpoint())) {
      append(log(), "old1\n");
      f.commit(f.poll().get(0));
    }
    append(log(), "old2\n");
    Files.move(log(), dir.resolve("mail.log.1"));
    append(log(), "new1\n");
    try (LogFollower f = new LogFollower(log(), checkpoint())) {
      assertThat(texts(f.poll())).containsExactly("old2", "new1");
    }
  }
}
