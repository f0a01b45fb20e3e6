package org.popbeforesmtp.grants;

import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.Sensor.RecordingLevel;
import org.apache.kafka.common.metrics.stats.Value;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.CachingKeyValueStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.avro.Revocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@link GrantRules} to one task's logins (keyed by grant key) and revocations (broadcast
 * to every task), on the stores of {@link StoreNames}, and forwards relay.grants upserts and
 * tombstones. A wall-clock punctuator tombstones expired grants every expiry-scan interval.
 *
 * <p>Output is once per key per commit interval, as a cached KTable emits: the rules' changes wait
 * in {@link #pending} (latest per key), and the changed key states in {@link KafkaGrantStore}; both
 * go out when Streams flushes the record cache of the {@link StoreNames#COUNTERS} store, which it
 * does before every commit (and on eviction), so a grant and the state that produced it are in the
 * same transaction. A key extended ten times within one interval gives one relay.grants record and
 * one changelog record. Hooking the cache flush takes Streams' internal flush-listener API (the one
 * KTable sources use); should that store lose its cache, every change is written and forwarded at
 * once instead.
 */
final class GrantProcessor implements Processor<String, SpecificRecord, String, RelayGrant> {
  private static final Logger LOG = LoggerFactory.getLogger(GrantProcessor.class);
  static final String METRIC_SCOPE = "pop-before-smtp";
  private static final Duration PURGE_INTERVAL = Duration.ofMinutes(1);

  /** A change waiting for its key's cache flush: the grant, or null for a tombstone. */
  private record Pending(GrantState grant, long timestamp) {}

  private final GrantRules rules;
  private final Map<String, Pending> pending = new LinkedHashMap<>();
  private ProcessorContext<String, RelayGrant> context;
  private InternalProcessorContext<String, RelayGrant> internal;
  private ProcessorNode<?, ?, ?, ?> node;
  private KafkaGrantStore store;
  private Sensor live;
  private Sensor created;
  private Sensor extended;
  private Sensor expired;
  private Sensor revoked;
  private Sensor endedShared;
  private Sensor expiryLag;
  private final Map<Refusal, Sensor> refused = new EnumMap<>(Refusal.class);
  private boolean reconciled;

  GrantProcessor(GrantRules rules) {
    this.rules = rules;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void init(ProcessorContext<String, RelayGrant> context) {
    this.context = context;
    KeyValueStore<String, KeyState> states = context.getStateStore(StoreNames.KEY_STATE);
    KeyValueStore<Bytes, byte[]> index = context.getStateStore(StoreNames.EXPIRY_INDEX);
    KeyValueStore<String, Long> revocations = context.getStateStore(StoreNames.REVOCATIONS);
    KeyValueStore<String, Long> counters = context.getStateStore(StoreNames.COUNTERS);
    StreamsMetrics metrics = context.metrics();
    String task = context.taskId().toString();
    live = metrics.addSensor(METRIC_SCOPE + ".task." + task + ".grants-live", RecordingLevel.INFO);
    if (!live.hasMetrics()) {
      live.add(
          new MetricName(
              "grants-live",
              "stream-" + METRIC_SCOPE + "-metrics",
              "published grants of the task (expired ones until the scan tombstones them)",
              Map.of("task-id", task)),
          new Value());
    }
    CachingKeyValueStore cache = cacheOf(counters);
    if (context instanceof InternalProcessorContext<?, ?> ipc && cache != null) {
      this.internal = (InternalProcessorContext<String, RelayGrant>) ipc;
      this.node = internal.currentNode();
    }
    boolean hooked = node != null;
    this.store =
        new KafkaGrantStore(
            states,
            index,
            revocations,
            counters,
            !hooked,
            new KafkaGrantStore.Listener() {
              @Override
              public void written(String key) {
                forward(key);
              }

              @Override
              public void published(long count) {
                live.record(count);
              }
            });
    // keys only: the value is never decoded for this hook
    if (hooked && !cache.setFlushListener(record -> store.writeBack(), false)) {
      throw new IllegalStateException("the counters store's record cache took no flush listener");
    }

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
        now -> {
          if (!reconciled) {
            // once per task start: grants published under another TTL get this one's expiry
            int changed = rules.reconcile(now, store, new Forwarder(now));
            if (changed > 0) {
              LOG.info(
                  "task {}: {} grants published under another TTL re-published or ended with"
                      + " ttl {}",
                  context.taskId(),
                  changed,
                  rules.policy().ttl());
            }
            reconciled = true;
          }
          rules.expire(now, store, new Forwarder(now));
        });
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
      throw new InvalidEventException(
          "unexpected value " + (record.value() == null ? "null" : record.value().getClass()));
    }
  }

  @Override
  public void close() {
    live.record(0);
  }

  /** The record cache under a store's wrappers, or null when it has none. */
  private static CachingKeyValueStore cacheOf(StateStore store) {
    StateStore s = store;
    while (s instanceof WrappedStateStore<?, ?, ?> wrapped) {
      if (s instanceof CachingKeyValueStore cache) {
        return cache;
      }
      s = wrapped.wrapped();
    }
    return null;
  }

  /** Sends the key's pending change, if it has one (called as the cache flushes the key). */
  @SuppressWarnings("unchecked")
  private void forward(String key) {
    Pending change = pending.remove(key);
    if (change == null) {
      return;
    }
    Record<String, RelayGrant> out =
        new Record<>(
            key,
            change.grant() == null ? null : rules.toGrant(key, change.grant()),
            change.timestamp());
    ProcessorNode<?, ?, ?, ?> current = internal == null ? null : internal.currentNode();
    if (internal == null || current == node) {
      context.forward(out);
      return;
    }
    // a cache flush at commit runs outside this processor: forward as this node, as KTables do
    internal.setCurrentNode(node);
    try {
      context.forward(out);
    } finally {
      internal.setCurrentNode(current);
    }
  }

  private void emit(String key, GrantState grant, long timestamp) {
    Pending before = pending.get(key);
    // upserts collapsed into one keep the first one's time: when that grant interval began
    long time =
        before != null && before.grant() != null && grant != null ? before.timestamp() : timestamp;
    pending.put(key, new Pending(grant, time));
  }

  /** Hands changes on (see {@link #pending}) with the given record timestamp and counts them. */
  private final class Forwarder implements GrantRules.Sink {
    private final long timestamp;

    Forwarder(long timestamp) {
      this.timestamp = timestamp;
    }

    @Override
    public void upsert(String key, KeyState state, GrantState session, boolean isNew) {
      (isNew ? created : extended).record();
      emit(key, session, timestamp);
    }

    @Override
    public void tombstone(String key, KeyState state, GrantRules.Ended why, long expiresAt) {
      switch (why) {
        case EXPIRED -> {
          expired.record();
          expiryLag.record(Math.max(0, context.currentSystemTimeMs() - expiresAt));
        }
        case REVOKED -> revoked.record();
        case SHARED_ADDRESS -> endedShared.record();
      }
      emit(key, null, timestamp);
    }

    @Override
    public void refused(Refusal why) {
      refused.get(why).record();
    }
  }
}
