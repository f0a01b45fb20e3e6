package org.popbeforesmtp.runtime;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.popbeforesmtp.grants.Refusal;

/**
 * The processor's meters, read from Kafka Streams' metrics at scrape time (nothing is counted on
 * the per-login path): Streams' own, the rules' per-task sensors summed over this instance's tasks,
 * dead letters, expiry lag, live grants, logins read and whether Kafka answers.
 */
final class ProcessorMetrics {
  /** The rules' per-task grant sensors ({@code GrantProcessor}), each a counter here. */
  private static final List<String> GRANT_OPERATIONS =
      List.of(
          "grants-started",
          "grants-extended",
          "grants-expired",
          "grants-revoked",
          "grants-ended-shared-address");

  private ProcessorMetrics() {}

  /** Registers every meter of a processor instance. */
  static void bind(
      KafkaStreams streams,
      MeterRegistry metrics,
      String loginsTopic,
      BooleanSupplier kafkaReachable) {
    new KafkaStreamsMetrics(streams).bindTo(metrics);
    for (String operation : GRANT_OPERATIONS) {
      FunctionCounter.builder(
              "pop_before_smtp_" + operation.replace('-', '_'),
              streams,
              s -> sum(s, operation + "-total"))
          .register(metrics);
    }
    for (Refusal refusal : Refusal.values()) {
      FunctionCounter.builder(
              "pop_before_smtp_logins_refused",
              streams,
              s -> sum(s, "logins-refused-" + refusal.metricName() + "-total"))
          .tag("reason", refusal.metricName())
          .register(metrics);
    }
    FunctionCounter.builder(
            "pop_before_smtp_dead_letters", streams, s -> sum(s, "dropped-records-total"))
        .description("records written to the dead-letter topic (dropped from processing)")
        .register(metrics);
    Gauge.builder("pop_before_smtp_expiry_lag_max_ms", streams, s -> max(s, "expiry-lag-max"))
        .description("longest delay between a grant's expiresAt and its tombstone (recent window)")
        .register(metrics);
    Gauge.builder("pop_before_smtp_kafka_reachable", kafkaReachable, r -> r.getAsBoolean() ? 1 : 0)
        .description("0 while the last cluster description (every 15 s) failed")
        .strongReference(true) // a gauge holds its object weakly: this one is only a lambda
        .register(metrics);
    Gauge.builder("pop_before_smtp_grants_live", streams, s -> sum(s, "grants-live"))
        .description("grants currently published by this instance's active tasks")
        .register(metrics);
    FunctionCounter.builder("pop_before_smtp_logins_read", streams, s -> loginsRead(s, loginsTopic))
        .description("records this instance read from " + loginsTopic)
        .register(metrics);
  }

  /** A Streams metric summed over this instance's threads and tasks. */
  static double sum(KafkaStreams streams, String name) {
    double sum = 0;
    for (var e : streams.metrics().entrySet()) {
      if (e.getKey().name().equals(name) && e.getValue().metricValue() instanceof Number n) {
        sum += n.doubleValue();
      }
    }
    return sum;
  }

  /** The largest value of a Streams metric over this instance's threads and tasks (0: none). */
  static double max(KafkaStreams streams, String name) {
    double max = 0;
    for (var e : streams.metrics().entrySet()) {
      if (e.getKey().name().equals(name)
          && e.getValue().metricValue() instanceof Number n
          && !Double.isNaN(n.doubleValue())) {
        max = Math.max(max, n.doubleValue());
      }
    }
    return max;
  }

  /** Records this instance's tasks read from the logins topic (Streams' per-task topic metric). */
  private static double loginsRead(KafkaStreams streams, String topic) {
    double sum = 0;
    for (var e : streams.metrics().entrySet()) {
      MetricName m = e.getKey();
      if (m.name().equals("records-consumed-total")
          && m.group().equals("stream-topic-metrics")
          && topic.equals(m.tags().get("topic"))
          && e.getValue().metricValue() instanceof Number n) {
        sum += n.doubleValue();
      }
    }
    return sum;
  }
}
