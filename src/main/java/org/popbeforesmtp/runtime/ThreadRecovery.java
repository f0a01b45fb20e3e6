package org.popbeforesmtp.runtime;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.KafkaException;
import org.popbeforesmtp.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the processor replaces a stream thread that died (and after what pause), or fails. Under
 * exactly-once a replaced thread's open transaction is aborted and the new thread reads on from the
 * last commit, so nothing is lost or applied twice.
 *
 * <ul>
 *   <li>The schema registry unavailable (a login's schema could not be fetched): replaced for as
 *       long as it lasts, after 5 s, then twice as long each time up to 30 s (Kafka Streams logs
 *       each replacement with its stack trace); logins wait in Kafka. One line a minute says so.
 *   <li>A Kafka error (the root cause is one of the Kafka clients' exceptions: a transaction commit
 *       the coordinator answered with a server error after an outage, a timeout): replaced after 1
 *       s, at most {@link #MAX_REPLACEMENTS} within {@link #WINDOW}; a thread that keeps failing is
 *       a fault a restart or an operator must see, so the processor fails (its liveness check says
 *       so).
 *   <li>Anything else (a bug): the processor fails at once.
 * </ul>
 */
final class ThreadRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(ThreadRecovery.class);
  static final int MAX_REPLACEMENTS = 5;
  static final Duration WINDOW = Duration.ofMinutes(10);
  static final Duration KAFKA_PAUSE = Duration.ofSeconds(1);
  static final Duration REGISTRY_FIRST = Duration.ofSeconds(5);
  static final Duration REGISTRY_MAX = Duration.ofSeconds(30);

  /** A registry outage this long after the last wait ended is a new one (back to 5 s). */
  private static final long NEW_OUTAGE_NANOS = TimeUnit.MINUTES.toNanos(2);

  private final LongSupplier nanoClock;
  private final Deque<Long> recent = new ArrayDeque<>();
  private final AtomicLong registryWaits = new AtomicLong();
  private Duration registryPause = REGISTRY_FIRST;
  private long registryWaitEnds = Long.MIN_VALUE;
  private long nextRegistryLog = Long.MIN_VALUE;

  ThreadRecovery(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /**
   * How long to pause before replacing a thread that died of {@code e}, or null when the processor
   * is to fail; a replacement is counted (and logged).
   */
  synchronized Duration pauseBeforeReplacing(Throwable e) {
    long now = nanoClock.getAsLong();
    SchemaRegistryException registryDown = SchemaRegistryException.unavailableIn(e);
    if (registryDown != null) {
      registryWaits.incrementAndGet();
      registryPause =
          registryWaitEnds == Long.MIN_VALUE || now - registryWaitEnds > NEW_OUTAGE_NANOS
              ? REGISTRY_FIRST
              : min(registryPause.multipliedBy(2), REGISTRY_MAX);
      registryWaitEnds = now + registryPause.toNanos();
      if (nextRegistryLog == Long.MIN_VALUE || now >= nextRegistryLog) {
        nextRegistryLog = now + TimeUnit.MINUTES.toNanos(1);
        LOG.warn(
            "{}; logins wait in Kafka until it answers (next try in {} s)",
            registryDown.getMessage(),
            registryPause.toSeconds());
      }
      return registryPause;
    }
    if (!kafkaError(root(e))) {
      return null;
    }
    while (!recent.isEmpty() && now - recent.peekFirst() > WINDOW.toNanos()) {
      recent.removeFirst();
    }
    if (recent.size() >= MAX_REPLACEMENTS) {
      return null;
    }
    recent.addLast(now);
    LOG.warn(
        "a stream thread failed on a Kafka error ({}); replacing it: its transaction is aborted"
            + " and the new thread goes on from the last commit",
        root(e).toString());
    return KAFKA_PAUSE;
  }

  /** Times a thread was replaced because the schema registry did not answer. */
  long registryWaits() {
    return registryWaits.get();
  }

  /**
   * A Kafka client's error: a {@link KafkaException}, or what a client throws about its own state
   * (the producer's {@code IllegalStateException} when a commit timed out during an outage and the
   * transaction must be retried), which a new thread with a new producer clears.
   */
  static boolean kafkaError(Throwable root) {
    if (root instanceof KafkaException) {
      return true;
    }
    StackTraceElement[] where = root.getStackTrace();
    return root instanceof IllegalStateException
        && where.length > 0
        && where[0].getClassName().startsWith("org.apache.kafka.clients.");
  }

  /** The innermost cause. */
  static Throwable root(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
