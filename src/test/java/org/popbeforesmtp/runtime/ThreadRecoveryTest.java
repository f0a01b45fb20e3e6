package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.registry.SchemaRegistryException;

class ThreadRecoveryTest {
  private final AtomicLong now = new AtomicLong();
  private final ThreadRecovery recovery = new ThreadRecovery(now::get);

  private boolean replaced(Throwable e) {
    return recovery.pauseBeforeReplacing(e) != null;
  }

  @Test
  void aKafkaErrorReplacesTheThreadAndABugDoesNot() {
    // what a commit after a full cluster outage threw in CI
    assertThat(
            replaced(
                new StreamsException(
                    "Error encountered trying to commit a transaction",
                    new KafkaException("Unhandled error in EndTxnResponse"))))
        .isTrue();
    assertThat(replaced(new StreamsException(new TimeoutException("no answer")))).isTrue();
    assertThat(replaced(new StreamsException(new NullPointerException("a bug")))).isFalse();
    assertThat(replaced(new IllegalStateException("a bug"))).isFalse();
  }

  @Test
  void aKafkaClientsOwnStateErrorReplacesTheThread() {
    // what a punctuation met in CI after a full cluster outage: the producer refuses to send
    // because the previous commitTransaction timed out
    IllegalStateException pending =
        new IllegalStateException(
            "Cannot attempt operation `send` because the previous call to `commitTransaction`"
                + " timed out and must be retried");
    pending.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement(
              "org.apache.kafka.clients.producer.internals.TransactionManager",
              "throwIfPendingState",
              "TransactionManager.java",
              1310)
        });
    assertThat(replaced(new StreamsException(pending))).isTrue();
  }

  @Test
  void aThreadThatKeepsFailingFailsTheProcessorUntilTheWindowHasPassed() {
    KafkaException e = new KafkaException("again");
    for (int i = 0; i < ThreadRecovery.MAX_REPLACEMENTS; i++) {
      assertThat(replaced(e)).as("replacement %d", i + 1).isTrue();
      now.addAndGet(1_000_000_000L);
    }
    assertThat(replaced(e)).as("one too many within the window").isFalse();
    now.addAndGet(ThreadRecovery.WINDOW.toNanos());
    assertThat(replaced(e)).as("after the window").isTrue();
  }

  @Test
  void anUnavailableRegistryIsWaitedForWithAGrowingPauseAsLongAsItLasts() {
    Throwable down =
        new StreamsException(
            new SerializationException(
                "cannot fetch schema id 1",
                new SchemaRegistryException("registry unreachable", -1)));
    long[] pauses = new long[8];
    for (int i = 0; i < pauses.length; i++) {
      Duration pause = recovery.pauseBeforeReplacing(down);
      pauses[i] = pause.toSeconds();
      now.addAndGet(pause.toNanos());
    }
    assertThat(pauses).containsExactly(5, 10, 20, 30, 30, 30, 30, 30);
    assertThat(recovery.registryWaits()).isEqualTo(8);
    // a registry that answered "no such schema" is a bad record, not an outage
    assertThat(
            replaced(
                new SerializationException(
                    "unknown schema id 9",
                    new SchemaRegistryException("not found", SchemaRegistryException.NOT_FOUND))))
        .isFalse();
    // a new outage long after the last one starts again at 5 s
    now.addAndGet(Duration.ofMinutes(3).toNanos());
    assertThat(recovery.pauseBeforeReplacing(down)).isEqualTo(Duration.ofSeconds(5));
  }
}
