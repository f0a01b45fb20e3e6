package org.popbeforesmtp.runtime;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says what the processor is waiting for when it stays not ready: after {@link #AFTER} without
 * being ready, a line every {@link #AFTER} with the Streams state, each stream thread's state and
 * tasks, and the changelogs still being restored; a line when it is ready again. A processor that
 * is slow to come up (a long restore) and one that is stuck (a rebalance that never ends) read
 * differently in these lines, where Kafka's own INFO lines are off by default.
 */
final class ReadinessWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReadinessWatch.class);
  private static final Duration AFTER = Duration.ofSeconds(30);
  private static final Duration EVERY = Duration.ofSeconds(5);

  private final BooleanSupplier ready;
  private final Supplier<String> describe;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService timer = Timers.daemon("readiness-watch", 1);
  private long notReadySince;
  private long nextLog;
  private boolean warned;

  /**
   * @param ready whether the processor is ready now
   * @param describe what it is doing, for the line that says it is not ready ({@link #describe})
   */
  ReadinessWatch(BooleanSupplier ready, Supplier<String> describe, LongSupplier nanoTime) {
    this.ready = ready;
    this.describe = describe;
    this.nanoTime = nanoTime;
    this.notReadySince = nanoTime.getAsLong();
  }

  /** Starts looking, every {@link #EVERY}. */
  void start() {
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            check();
          } catch (RuntimeException e) {
            // a look that fails must not end the looking (an executor drops a task that throws)
            LOG.warn("could not tell whether the grant processor is ready: {}", e.toString());
          }
        },
        EVERY.toMillis(),
        EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** One look; returns the line it logged, or null. */
  String check() {
    long now = nanoTime.getAsLong();
    String line = null;
    if (ready.getAsBoolean()) {
      if (warned) {
        line =
            "grant processor ready again after "
                + TimeUnit.NANOSECONDS.toSeconds(now - notReadySince)
                + " s not ready";
        LOG.info(line);
      }
      warned = false;
      notReadySince = now;
      nextLog = now + AFTER.toNanos();
    } else if (now - notReadySince >= AFTER.toNanos() && now >= nextLog) {
      warned = true;
      nextLog = now + AFTER.toNanos();
      line =
          "grant processor not ready for "
              + TimeUnit.NANOSECONDS.toSeconds(now - notReadySince)
              + " s: "
              + described();
      LOG.warn(line);
    }
    return line;
  }

  /**
   * What the processor does, or why that cannot be said (Streams refuses its thread metadata in
   * some states).
   */
  private String described() {
    try {
      return describe.get();
    } catch (RuntimeException e) {
      return "(its state cannot be read: " + e.getMessage() + ")";
    }
  }

  /**
   * Whether the processor can process and answer: Streams RUNNING, no changelog being restored, and
   * every stream thread RUNNING. A thread's state here is the one it last published: Streams
   * refreshes a thread's metadata when it reaches RUNNING. So a thread that replaced a dead one
   * counts as not running until it has joined the group and taken tasks, while Streams itself says
   * RUNNING meanwhile (seen in CI after a full broker outage: a replacement left {@code CREATED}
   * for minutes, no login processed, and the processor had said it was ready).
   */
  static boolean ready(
      KafkaStreams.State state,
      Collection<ThreadMetadata> threads,
      Collection<TopicPartition> restoring) {
    if (state != KafkaStreams.State.RUNNING || !restoring.isEmpty()) {
      return false;
    }
    for (ThreadMetadata t : threads) {
      if (!t.threadState().equals("RUNNING")) {
        return false;
      }
    }
    return true;
  }

  /** The Streams state, each thread's state and tasks, and the changelogs being restored. */
  static String describe(
      KafkaStreams.State state,
      Collection<ThreadMetadata> threads,
      Collection<TopicPartition> restoring) {
    StringBuilder s = new StringBuilder("Streams ").append(state);
    for (ThreadMetadata t : threads) {
      String name = t.threadName();
      s.append("; ")
          .append(name.substring(name.lastIndexOf('-', name.lastIndexOf('-') - 1) + 1))
          .append(' ')
          .append(t.threadState())
          .append(" active ")
          .append(taskIds(t.activeTasks()))
          .append(" standby ")
          .append(taskIds(t.standbyTasks()));
    }
    Set<String> changelogs = new TreeSet<>();
    restoring.forEach(p -> changelogs.add(p.toString()));
    return s.append("; restoring ")
        .append(changelogs.isEmpty() ? "nothing" : String.join(", ", changelogs))
        .toString();
  }

  private static List<String> taskIds(Set<TaskMetadata> tasks) {
    return tasks.stream().map(m -> m.taskId().toString()).sorted().toList();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
