package org.popbeforesmtp.config;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.popbeforesmtp.grants.DeadLetterHandler;
import org.popbeforesmtp.grants.Topics;

/** Kafka Streams settings of the grant processor. */
public final class StreamsSettings {
  /**
   * Commit interval of the grant processor. With exactly_once_v2 a grant becomes visible to the
   * edges (read_committed) only when its transaction commits, so this is most of the login-to-edge
   * latency (half of it on average). Measured here (bench login-to-edge, 10,000 logins/s): 20 ms
   * p50 37 ms / p99 117 ms, 30 ms p50 47 / p99 118, 50 ms p50 69 / p99 over 1 s, 100 ms p50 122 /
   * p99 540. Shorter costs throughput on a backlog (more transactions, fewer repeated writes of a
   * key collapsed per commit): see bench/RESULTS.md.
   */
  public static final Duration COMMIT_INTERVAL = Duration.ofMillis(25);

  /**
   * How long the group waits for a member that stopped heart-beating (crashed, kill -9, host gone)
   * before its tasks move to the others. Members are static ({@code group.instance.id}), so a
   * crashed instance restarted within this time takes its tasks back without any rebalance; one
   * that does not come back is replaced after it. Kafka's default is 45 s; see the recovery IT for
   * what was measured.
   */
  public static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);

  private StreamsSettings() {}

  /**
   * The Streams properties of the grant processor. Precedence, lowest first: the defaults below,
   * then {@code overrides} (a properties file, environment, flags, already merged by the caller in
   * that order). Defaults: exactly_once_v2 with a {@link #COMMIT_INTERVAL} commit interval; every
   * internal resource explicitly named; one standby replica; a {@link #SESSION_TIMEOUT} session; no
   * task idling (max.task.idle.ms -1); records that cannot be deserialized or processed are written
   * to the dead-letter topic (KIP-1034) with the original key and value bytes, the exception and
   * message, and the source topic, partition and offset in headers, and processing continues
   * ({@link DeadLetterHandler}).
   */
  public static Properties grantProcessor(
      String applicationId, String bootstrapServers, Topics topics, Map<String, ?> overrides) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL.toMillis());
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
    props.put(
        StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
        (int) SESSION_TIMEOUT.toMillis());
    // a task reads logins, re-keyed logins and revocations; the rules' outcome does not depend on
    // which comes first (revocations compare event times), so no partition is waited for, and the
    // per-record check of whether to wait (a sixth of the stream thread's time) is skipped
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    props.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
    // there are no global tables: this is Kafka 5's behaviour, and it spares a warning at every
    // start (by name: the setting is deprecated because 5.0 makes it the only behaviour)
    props.put("processing.exception.handler.global.enabled", true);
    props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, topics.deadLetters());
    props.putAll(overrides);
    return props;
  }
}
