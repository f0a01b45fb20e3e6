package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class ThreadRecoveryTest {
  private final AtomicLong now = new AtomicLong();
  private final ThreadRecovery recovery = new ThreadRecovery(now::get);

  @Test
  void aKafkaErrorReplacesTheThreadAndABugDoesNot() {
    // what a commit after a full cluster outage threw in CI
    assertThat(
            recovery.replace(
                new StreamsException(
                    "Error encountered trying to commit a transaction",
                    new KafkaException("Unhandled error in EndTxnResponse"))))
        .isTrue();
    assertThat(recovery.replace(new StreamsException(new TimeoutException("no answer")))).isTrue();
    assertThat(recovery.replace(new StreamsException(new NullPointerException("a bug")))).isFalse();
    assertThat(recovery.replace(new IllegalStateException("a bug"))).isFalse();
  }

  @Test
  void aThreadThatKeepsFailingFailsTheProcessorUntilTheWindowHasPassed() {
    KafkaException e = new KafkaException("again");
    for (int i = 0; i < ThreadRecovery.MAX_REPLACEMENTS; i++) {
      assertThat(recovery.replace(e)).as("replacement %d", i + 1).isTrue();
      now.addAndGet(1_000_000_000L);
    }
    assertThat(recovery.replace(e)).as("one too many within the window").isFalse();
    now.addAndGet(ThreadRecovery.WINDOW.toNanos());
    assertThat(recovery.replace(e)).as("after the window").isTrue();
  }
}
