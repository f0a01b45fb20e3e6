package org.popbeforesmtp.runtime;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;
import org.apache.kafka.common.KafkaException;

/**
 * Whether the processor replaces a stream thread that died, or fails. A Kafka error (the root cause
 * is one of the Kafka clients' exceptions: a transaction commit the coordinator answered with a
 * server error after an outage, a timeout) replaces the thread: under exactly-once its open
 * transaction is aborted and the new thread reads on from the last commit, so nothing is lost or
 * applied twice. At most {@link #MAX_REPLACEMENTS} within {@link #WINDOW}: a thread that keeps
 * failing is a fault a restart or an operator must see, and the processor fails (its liveness check
 * says so). Anything else (a bug) fails it at once.
 */
final class ThreadRecovery {
  static final int MAX_REPLACEMENTS = 5;
  static final Duration WINDOW = Duration.ofMinutes(10);

  private final LongSupplier nanoClock;
  private final Deque<Long> recent = new ArrayDeque<>();

  ThreadRecovery(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /** Whether a thread that died of {@code e} is to be replaced; a replacement is counted. */
  synchronized boolean replace(Throwable e) {
    if (!(root(e) instanceof KafkaException)) {
      return false;
    }
    long now = nanoClock.getAsLong();
    while (!recent.isEmpty() && now - recent.peekFirst() > WINDOW.toNanos()) {
      recent.removeFirst();
    }
    if (recent.size() >= MAX_REPLACEMENTS) {
      return false;
    }
    recent.addLast(now);
    return true;
  }

  /** The innermost cause. */
  static Throwable root(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }
}
