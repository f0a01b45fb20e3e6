package org.popbeforesmtp.edge;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.net.InvalidAddressException;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.net.IpPrefix;
import org.popbeforesmtp.registry.AvroDeserializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local copy of the compacted {@code relay.grants} topic (all partitions, no consumer group):
 * read from the beginning, then followed; tombstones delete. Not ready until it has reached the end
 * offsets it saw at start; until then every lookup says "no grant". If the broker becomes
 * unreachable it keeps answering from what it holds (expiry is enforced locally at every lookup),
 * reports degraded, and catches up when the broker returns.
 */
public final class GrantCache implements GrantLookup, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GrantCache.class);
  private static final Duration LAG_CHECK_INTERVAL = Duration.ofSeconds(5);

  private final String topic;
  private final KafkaConsumer<String, byte[]> consumer;
  private final AvroDeserializer<RelayGrant> values;
  private final Clock clock;
  private final long skewAllowanceMs;
  private final GrantTable table;
  private final Thread thread;
  private volatile boolean ready;
  private volatile boolean degraded;
  private volatile boolean running = true;
  private volatile long lag = -1;
  private volatile long newestRecordTimestamp = -1;
  private final AtomicLong undecodable = new AtomicLong();

  /**
   * @param clientProps Kafka consumer settings (bootstrap.servers, security)
   * @param skewAllowance how much earlier than expiresAt a grant stops counting here
   */
  public GrantCache(
      Properties clientProps,
      String topic,
      SchemaRegistryClient registry,
      Clock clock,
      Duration skewAllowance) {
    this(clientProps, topic, registry, clock, skewAllowance, false);
  }

  /**
   * @param keepUsers hold each grant's username, so a granted verdict names its user (whoson)
   */
  public GrantCache(
      Properties clientProps,
      String topic,
      SchemaRegistryClient registry,
      Clock clock,
      Duration skewAllowance,
      boolean keepUsers) {
    this.topic = topic;
    this.table = new GrantTable(keepUsers);
    this.clock = clock;
    this.skewAllowanceMs = skewAllowance.toMillis();
    Properties props = new Properties();
    props.putAll(clientProps);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    props.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    props.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    props.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    this.consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    this.values = new AvroDeserializer<>(RelayGrant.class, registry);
    this.thread = new Thread(this::run, "grant-cache-" + topic);
    this.thread.setDaemon(true);
  }

  /** Starts following the topic in a background thread. */
  public GrantCache start() {
    thread.start();
    return this;
  }

  private void run() {
    long started = System.nanoTime();
    try {
      List<TopicPartition> partitions = partitions();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> target = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      LOG.info("loading {} from the beginning up to {}", topic, target);
      long nextLagCheck = 0;
      while (running) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, byte[]> r : records) {
          apply(r);
        }
        if (!ready && caughtUp(target)) {
          ready = true;
          LOG.info(
              "grant cache ready: {} grants after {} ms",
              table.size(),
              (System.nanoTime() - started) / 1_000_000);
        }
        long now = System.nanoTime();
        if (now >= nextLagCheck) {
          nextLagCheck = now + LAG_CHECK_INTERVAL.toNanos();
          checkLag(partitions);
        }
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      degraded = true;
      LOG.error("grant cache stopped following {}; answering from what it holds", topic, e);
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  /**
   * The topic's partitions, once it exists and Kafka answers; until then it answers no grant (not
   * ready) and says what it waits for once a minute.
   */
  private List<TopicPartition> partitions() throws InterruptedException {
    long nextLog = 0;
    while (running) {
      String problem;
      try {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
        if (infos != null && !infos.isEmpty()) {
          List<TopicPartition> result = new ArrayList<>();
          for (PartitionInfo p : infos) {
            result.add(new TopicPartition(p.topic(), p.partition()));
          }
          return result;
        }
        problem = "waiting: " + Topics.missing(topic);
      } catch (TimeoutException e) {
        degraded = true;
        problem = "cannot reach Kafka to find the partitions of " + topic + "; retrying";
      }
      long now = System.nanoTime();
      if (now >= nextLog) {
        LOG.warn(problem);
        nextLog = now + TimeUnit.MINUTES.toNanos(1);
      }
      Thread.sleep(1000);
    }
    return List.of();
  }

  private boolean caughtUp(Map<TopicPartition, Long> target) {
    for (Map.Entry<TopicPartition, Long> e : target.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private void checkLag(List<TopicPartition> partitions) {
    try {
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(2));
      long total = 0;
      for (TopicPartition p : partitions) {
        total += Math.max(0, ends.get(p) - consumer.position(p));
      }
      lag = total;
      if (degraded) {
        LOG.info("Kafka reachable again; following {} (lag {})", topic, total);
      }
      degraded = false;
    } catch (TimeoutException e) {
      if (!degraded) {
        LOG.warn(
            "Kafka unreachable; answering from {} cached grants, expiry enforced locally",
            table.size());
      }
      degraded = true;
    }
  }

  void apply(ConsumerRecord<String, byte[]> r) {
    IpPrefix key;
    try {
      key = IpPrefix.parse(r.key());
    } catch (InvalidAddressException e) {
      undecodable.incrementAndGet();
      LOG.warn(
          "skipping {}-{}@{}: key '{}' is not a grant key",
          r.topic(),
          r.partition(),
          r.offset(),
          r.key());
      return;
    }
    newestRecordTimestamp = Math.max(newestRecordTimestamp, r.timestamp());
    if (r.value() == null) {
      table.remove(key);
      return;
    }
    try {
      RelayGrant grant = values.deserialize(r.topic(), r.value());
      table.put(key, grant.getExpiresAt().toEpochMilli(), grant.getUsername());
    } catch (SerializationException e) {
      undecodable.incrementAndGet();
      // fail closed: an undecodable update must not leave an older grant in place
      table.remove(key);
      LOG.warn("skipping {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
    }
  }

  @Override
  public Answer check(String clientAddress) {
    IpAddress address;
    try {
      address = IpAddress.parse(clientAddress);
    } catch (InvalidAddressException e) {
      return Answer.invalid(e.getMessage());
    }
    if (!ready) {
      return Answer.notReady();
    }
    GrantTable.Grant grant = table.grant(address);
    if (grant == null || !GrantPolicy.liveAt(grant.expiresAt() - skewAllowanceMs, clock.millis())) {
      return Answer.none();
    }
    return Answer.granted(grant.expiresAt(), grant.user());
  }

  @Override
  public boolean isReady() {
    return ready;
  }

  /** True while Kafka is unreachable (answers come from the cached grants). */
  public boolean isDegraded() {
    return degraded;
  }

  /** Keys held (live and not yet tombstoned). */
  public int size() {
    return table.size();
  }

  /** Records behind the end of the topic at the last check, or -1 before the first. */
  public long lag() {
    return lag;
  }

  /** Timestamp of the newest record applied, or -1. */
  public long newestRecordTimestamp() {
    return newestRecordTimestamp;
  }

  /** Records skipped because their key or value could not be decoded. */
  public long undecodable() {
    return undecodable.get();
  }

  /** Bytes held by the hot table's arrays (the cache's memory, without the consumer's buffers). */
  public long tableBytes() {
    return table.arrayBytes();
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
