package org.popbeforesmtp.runtime;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says plainly when the processor cannot reach Kafka (the clients' own connection warnings are off
 * by default): a cluster description every 15 s, a line when it first fails and once a minute while
 * it does, and one when Kafka answers again; {@link #reachable()} follows it (the metric {@code
 * pop_before_smtp_kafka_reachable}). Published grants stay with the edges meanwhile; new logins
 * wait in Kafka.
 */
final class KafkaWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaWatch.class);
  private static final Duration EVERY = Duration.ofSeconds(15);

  private final Properties clientProps;
  private final String bootstrapServers;
  private final ScheduledExecutorService timer = Timers.daemon("kafka-watch", 1);
  private Admin admin;
  private volatile boolean lost;
  private long lostSince;
  private long nextLog;

  KafkaWatch(Properties clientProps, String bootstrapServers) {
    this.clientProps = clientProps;
    this.bootstrapServers = bootstrapServers;
  }

  /** Starts looking, every 15 s. */
  void start() {
    timer.scheduleWithFixedDelay(
        this::check, EVERY.toSeconds(), EVERY.toSeconds(), TimeUnit.SECONDS);
  }

  /** False while the last cluster description failed. */
  boolean reachable() {
    return !lost;
  }

  private void check() {
    try {
      if (admin == null) {
        admin = Admin.create(clientProps);
      }
      admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
      if (lost) {
        LOG.info("Kafka at {} answers again", bootstrapServers);
      }
      lost = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      long now = System.nanoTime();
      if (!lost) {
        lost = true;
        lostSince = now;
        nextLog = now;
      }
      if (now >= nextLog) {
        LOG.warn(
            "cannot reach Kafka at {} (for {} s): edges keep answering from the grants they hold;"
                + " logins wait in Kafka",
            bootstrapServers,
            TimeUnit.NANOSECONDS.toSeconds(now - lostSince));
        nextLog = now + TimeUnit.MINUTES.toNanos(1);
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    if (admin != null) {
      admin.close(Duration.ZERO);
    }
  }
}
