package org.popbeforesmtp.grants;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.avro.Revocation;

/**
 * Applies {@link GrantRules} to one task's logins (keyed by grant key) and revocations (broadcast
 * to every task), on the stores of {@link StoreNames}, and forwards relay.grants upserts and
 * tombstones. A wall-clock punctuator tombstones expired grants every expiry-scan interval.
 */
final class GrantProcessor implements Processor<String, SpecificRecord, String, RelayGrant> {
  static final String METRIC_SCOPE = "pop-before-smtp";
  private static final Duration PURGE_INTERVAL = Duration.ofMinutes(1);

  private final GrantRules rules;
  private ProcessorContext<String, RelayGrant> context;
  private KafkaGrantStore store;
  private Sensor created;
  private Sensor extended;
  private Sensor expired;
  private Sensor revoked;
  private Sensor endedShared;
  private Sensor expiryLag;
  private final Map<Refusal, Sensor> refused = new EnumMap<>(Refusal.class);

  GrantProcessor(GrantRules rules) {
    this.rules = rules;
  }

  @Override
  public void init(ProcessorContext<String, RelayGrant> context) {
    this.context = context;
    SessionStore<String, GrantState> sessions = context.getStateStore(StoreNames.GRANTS);
    KeyValueStore<String, Long> published = context.getStateStore(StoreNames.PUBLISHED);
    KeyValueStore<Bytes, byte[]> index = context.getStateStore(StoreNames.EXPIRY_INDEX);
    KeyValueStore<Bytes, byte[]> users = context.getStateStore(StoreNames.USER_INDEX);
    WindowStore<String, Long> seen = context.getStateStore(StoreNames.SEEN_EVENTS);
    KeyValueStore<String, Long> revocations = context.getStateStore(StoreNames.REVOCATIONS);
    this.store = new KafkaGrantStore(sessions, published, index, users, seen, revocations);

    StreamsMetrics metrics = context.metrics();
    String task = context.taskId().toString();
    created = sensor(metrics, task, "grants-started");
    extended = sensor(metrics, task, "grants-extended");
    expired = sensor(metrics, task, "grants-expired");
    revoked = sensor(metrics, task, "grants-revoked");
    endedShared = sensor(metrics, task, "grants-ended-shared-address");
    // how long after expiresAt the tombstone went out (ms): the expiry scan's punctuation lag
    expiryLag =
        metrics.addLatencyRateTotalSensor(
            METRIC_SCOPE, task, "expiry-lag", Sensor.RecordingLevel.INFO, "task-id", task);
    for (Refusal r : Refusal.values()) {
      refused.put(r, sensor(metrics, task, "logins-refused-" + r.metricName()));
    }

    context.schedule(
        rules.policy().expiryScanInterval(),
        PunctuationType.WALL_CLOCK_TIME,
        now -> rules.expire(now, store, new Forwarder(now)));
    context.schedule(
        PURGE_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> rules.purge(now, store));
  }

  private static Sensor sensor(StreamsMetrics metrics, String task, String operation) {
    return metrics.addRateTotalSensor(
        METRIC_SCOPE, task, operation, Sensor.RecordingLevel.INFO, "task-id", task);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    long now = context.currentSystemTimeMs();
    Forwarder sink = new Forwarder(record.timestamp());
    if (record.value() instanceof LoginEvent login) {
      rules.onLogin(login, record.key(), now, store, sink);
    } else if (record.value() instanceof Revocation revocation) {
      rules.onRevocation(revocation, now, store, sink);
    } else {
      throw new InvalidLoginException(
          "unexpected value " + (record.value() == null ? "null" : record.value().getClass()));
    }
  }

  /** Forwards changes downstream with the given record timestamp and counts them. */
  private final class Forwarder implements GrantRules.Sink {
    private final long timestamp;

    Forwarder(long timestamp) {
      this.timestamp = timestamp;
    }

    @Override
    public void upsert(RelayGrant grant, boolean isNew) {
      (isNew ? created : extended).record();
      context.forward(new Record<>(grant.getKey(), grant, timestamp));
    }

    @Override
    public void tombstone(String key, GrantRules.Ended why, long expiresAt) {
      switch (why) {
        case EXPIRED -> {
          expired.record();
          expiryLag.record(Math.max(0, context.currentSystemTimeMs() - expiresAt));
        }
        case REVOKED -> revoked.record();
        case SHARED_ADDRESS -> endedShared.record();
      }
      context.forward(new Record<>(key, (RelayGrant) null, timestamp));
    }

    @Override
    public void refused(Refusal why) {
      refused.get(why).record();
    }
  }
}
