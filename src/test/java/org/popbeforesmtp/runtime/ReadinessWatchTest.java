package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.internals.TaskMetadataImpl;
import org.apache.kafka.streams.processor.internals.ThreadMetadataImpl;
import org.junit.jupiter.api.Test;

class ReadinessWatchTest {
  private final long[] now = {0};
  private boolean ready;
  private final ReadinessWatch watch =
      new ReadinessWatch(() -> ready, () -> "what it does", () -> now[0]);

  private String at(long seconds) {
    now[0] = TimeUnit.SECONDS.toNanos(seconds);
    return watch.check();
  }

  @Test
  void saysNothingWhileNotReadyForLessThanTheWait() {
    assertThat(at(5)).isNull();
    assertThat(at(29)).isNull();
  }

  @Test
  void saysWhatItIsDoingEveryWaitWhileNotReady() {
    assertThat(at(30)).isEqualTo("grant processor not ready for 30 s: what it does");
    assertThat(at(35)).isNull();
    assertThat(at(59)).isNull();
    assertThat(at(60)).isEqualTo("grant processor not ready for 60 s: what it does");
  }

  @Test
  void saysOnceWhenReadyAgainAfterItSaidNotReady() {
    at(30);
    ready = true;
    assertThat(at(40)).isEqualTo("grant processor ready again after 40 s not ready");
    assertThat(at(45)).isNull();
  }

  @Test
  void countsNotReadyFromTheLastTimeItWasReady() {
    ready = true;
    at(100);
    ready = false;
    assertThat(at(125)).isNull();
    assertThat(at(130)).startsWith("grant processor not ready for 30 s");
  }

  @Test
  void saysNotReadyAlsoWhenItsStateCannotBeRead() {
    ReadinessWatch failing =
        new ReadinessWatch(
            () -> false,
            () -> {
              throw new IllegalStateException("KafkaStreams is not running. State is ERROR.");
            },
            () -> now[0]);
    now[0] = TimeUnit.SECONDS.toNanos(30);
    assertThat(failing.check())
        .isEqualTo(
            "grant processor not ready for 30 s: (its state cannot be read: KafkaStreams is not"
                + " running. State is ERROR.)");
  }

  @Test
  void describesTheStateEachThreadsTasksAndTheRestore() {
    TaskMetadata task =
        new TaskMetadataImpl(
            new TaskId(0, 1), Set.of(), Map.of(), Map.of(), Optional.<Long>empty());
    String described =
        ReadinessWatch.describe(
            KafkaStreams.State.REBALANCING,
            List.of(
                new ThreadMetadataImpl(
                    "app-0f1e-StreamThread-1",
                    "PARTITIONS_ASSIGNED",
                    "c",
                    "r",
                    "p",
                    "a",
                    Set.of(task),
                    Set.of())),
            List.of(
                new TopicPartition("app-store-changelog", 1),
                new TopicPartition("app-store-changelog", 0)));
    assertThat(described)
        .isEqualTo(
            "Streams REBALANCING; StreamThread-1 PARTITIONS_ASSIGNED active [0_1] standby [];"
                + " restoring app-store-changelog-0, app-store-changelog-1");
    assertThat(ReadinessWatch.describe(KafkaStreams.State.RUNNING, List.of(), List.of()))
        .isEqualTo("Streams RUNNING; restoring nothing");
  }

  @Test
  void readyOnlyWhenStreamsAndEveryThreadRunAndNothingIsRestored() {
    ThreadMetadata running = thread("app-0f1e-StreamThread-1", "RUNNING");
    // a thread that replaced a dead one, not yet in the group: Streams still says RUNNING
    ThreadMetadata replacement = thread("app-0f1e-StreamThread-2", "CREATED");
    TopicPartition changelog = new TopicPartition("app-store-changelog", 0);
    KafkaStreams.State up = KafkaStreams.State.RUNNING;

    assertThat(ReadinessWatch.ready(up, List.of(running), List.of())).isTrue();
    assertThat(ReadinessWatch.ready(up, List.of(running, replacement), List.of())).isFalse();
    assertThat(ReadinessWatch.ready(up, List.of(running), List.of(changelog))).isFalse();
    assertThat(ReadinessWatch.ready(KafkaStreams.State.REBALANCING, List.of(running), List.of()))
        .isFalse();
  }

  private static ThreadMetadata thread(String name, String state) {
    return new ThreadMetadataImpl(name, state, "c", "r", "p", "a", Set.of(), Set.of());
  }
}
