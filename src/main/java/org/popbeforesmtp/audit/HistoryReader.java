package org.popbeforesmtp.audit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.registry.AvroDeserializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;

/**
 * Reads login and revocation history for a time range with a plain consumer: partitions assigned,
 * no consumer group, no commits, nothing written. Each partition is sought with {@code
 * offsetsForTimes} to the range start and read up to the first record after the range end (or the
 * end offset seen at start). Records of all partitions are handed out merged by record timestamp
 * (arrival), each partition in offset order, as the live processor saw them. Undecodable records
 * are counted and reported, never abort the read.
 */
public final class HistoryReader implements AutoCloseable {
  private static final int BUFFER_PER_PARTITION = 20_000;
  private static final Duration POLL = Duration.ofMillis(500);
  private static final int UNDECODABLE_KEPT = 100;

  private final Properties clientProps;
  private final SchemaRegistryClient registry;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final AvroDeserializer<LoginEvent> logins;
  private final AvroDeserializer<Revocation> revocations;

  /** Receives records in arrival order. */
  public interface Listener {
    void login(LoginEvent event, long arrival);

    void revocation(Revocation revocation, long arrival);
  }

  /** Reports how far the read is: records read of those in range. */
  public interface Progress {
    void update(long read, long total);
  }

  /** A record that could not be decoded. */
  public record Undecodable(String topic, int partition, long offset, String reason) {}

  /**
   * What was read.
   *
   * @param partitionsRead login partitions read (of {@code partitions})
   * @param undecodable the first undecodable records (count in {@code undecodableCount})
   * @param undecodableRevocations how many of {@code undecodableCount} were revocations
   */
  public record Summary(
      int partitionsRead,
      int partitions,
      long loginRecords,
      long revocationRecords,
      long undecodableCount,
      List<Undecodable> undecodable,
      long undecodableRevocations) {}

  /** A consumer on {@code clientProps} (bootstrap.servers and any security settings). */
  public HistoryReader(Properties clientProps, SchemaRegistryClient registry) {
    this.clientProps = clientProps;
    this.registry = registry;
    this.consumer =
        new KafkaConsumer<>(
            consumerProperties(clientProps),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    this.logins = new AvroDeserializer<>(LoginEvent.class, registry);
    this.revocations = new AvroDeserializer<>(Revocation.class, registry);
  }

  /**
   * The history consumer's properties: large fetches, no group, no commits, read_committed, on top
   * of {@code clientProps} (bootstrap.servers and any security settings).
   */
  public static Properties consumerProperties(Properties clientProps) {
    Properties props = new Properties();
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    props.putAll(clientProps);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return props;
  }

  /** Another reader on the same cluster and registry, with a consumer of its own. */
  public HistoryReader sibling() {
    return new HistoryReader(clientProps, registry);
  }

  /** Number of partitions of {@code topic}. */
  public int partitions(String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalArgumentException(
          "topic '" + topic + "' does not exist on the cluster; check --topic and the bootstrap");
    }
    return infos.size();
  }

  /**
   * Reads {@code [start, end]} of the logins topic (only {@code loginPartitions}, or all when null)
   * and of the whole revocations topic.
   */
  public Summary read(
      String loginTopic,
      List<Integer> loginPartitions,
      String revocationTopic,
      long start,
      long end,
      Listener listener,
      Progress progress) {
    int loginCount = partitions(loginTopic);
    List<TopicPartition> assigned = new ArrayList<>();
    if (loginPartitions == null) {
      for (int p = 0; p < loginCount; p++) {
        assigned.add(new TopicPartition(loginTopic, p));
      }
    } else {
      for (int p : loginPartitions) {
        assigned.add(new TopicPartition(loginTopic, p));
      }
    }
    int loginAssigned = assigned.size();
    List<PartitionInfo> revs = consumer.partitionsFor(revocationTopic, Duration.ofSeconds(30));
    if (revs != null) {
      for (PartitionInfo info : revs) {
        assigned.add(new TopicPartition(revocationTopic, info.partition()));
      }
    }
    consumer.assign(assigned);
    Map<TopicPartition, Long> from = offsetsAt(assigned, start);
    Map<TopicPartition, Long> until =
        end == Long.MAX_VALUE ? consumer.endOffsets(assigned) : offsetsAt(assigned, end + 1);
    long total = 0;
    for (TopicPartition tp : assigned) {
      consumer.seek(tp, from.get(tp));
      total += Math.max(0, until.get(tp) - from.get(tp));
    }

    Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> buffers = new HashMap<>();
    List<TopicPartition> open = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      buffers.put(tp, new ArrayDeque<>());
      if (from.get(tp) < until.get(tp)) {
        open.add(tp);
      }
    }
    long read = 0;
    long loginRecords = 0;
    long revocationRecords = 0;
    long undecodableCount = 0;
    long undecodableRevocations = 0;
    List<Undecodable> undecodable = new ArrayList<>();
    List<TopicPartition> paused = new ArrayList<>();
    while (!open.isEmpty()) {
      TopicPartition starving = null;
      for (TopicPartition tp : open) {
        if (buffers.get(tp).isEmpty()) {
          starving = tp;
          break;
        }
      }
      if (starving != null) {
        // a partition read up to its end of range is done now, not after one more poll (which
        // waits fetch.max.wait.ms when the topic has nothing after it)
        for (int i = open.size() - 1; i >= 0; i--) {
          TopicPartition tp = open.get(i);
          if (buffers.get(tp).isEmpty() && consumer.position(tp) >= until.get(tp)) {
            open.remove(i);
          }
        }
        if (open.stream().noneMatch(tp -> buffers.get(tp).isEmpty())) {
          continue; // every partition left has a head (or none is left)
        }
        fill(buffers, until, paused);
        progress.update(read, total);
        continue;
      }
      // every open partition has a head: hand out the earliest
      TopicPartition earliest = null;
      long earliestTime = Long.MAX_VALUE;
      for (TopicPartition tp : open) {
        long t = buffers.get(tp).peekFirst().timestamp();
        if (t < earliestTime) {
          earliest = tp;
          earliestTime = t;
        }
      }
      ConsumerRecord<byte[], byte[]> r = buffers.get(earliest).pollFirst();
      read++;
      boolean login = r.topic().equals(loginTopic);
      Object value;
      try {
        if (r.value() == null) {
          throw new SerializationException("null value (a tombstone): not an event");
        }
        value =
            login
                ? logins.deserialize(r.topic(), r.value())
                : revocations.deserialize(r.topic(), r.value());
      } catch (SerializationException e) {
        value = null;
        undecodableCount++;
        undecodableRevocations += login ? 0 : 1;
        if (undecodable.size() < UNDECODABLE_KEPT) {
          undecodable.add(
              new Undecodable(
                  r.topic(), r.partition(), r.offset(), String.valueOf(e.getMessage())));
        }
      }
      if (login) {
        loginRecords++;
        if (value != null) {
          listener.login((LoginEvent) value, r.timestamp());
        }
      } else {
        revocationRecords++;
        if (value != null) {
          listener.revocation((Revocation) value, r.timestamp());
        }
      }
      if (read % 10_000 == 0) {
        progress.update(read, total);
      }
    }
    progress.update(read, total);
    return new Summary(
        loginAssigned,
        loginCount,
        loginRecords,
        revocationRecords,
        undecodableCount,
        undecodable,
        undecodableRevocations);
  }

  private void fill(
      Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> buffers,
      Map<TopicPartition, Long> until,
      List<TopicPartition> paused) {
    List<TopicPartition> resume = new ArrayList<>();
    for (TopicPartition tp : paused) {
      if (buffers.get(tp).size() < BUFFER_PER_PARTITION / 2) {
        resume.add(tp);
      }
    }
    consumer.resume(resume);
    paused.removeAll(resume);
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
      TopicPartition tp = new TopicPartition(r.topic(), r.partition());
      if (r.offset() < until.get(tp)) {
        buffers.get(tp).addLast(r);
      }
    }
    List<TopicPartition> full = new ArrayList<>();
    for (Map.Entry<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> e :
        buffers.entrySet()) {
      if (e.getValue().size() >= BUFFER_PER_PARTITION && !paused.contains(e.getKey())) {
        full.add(e.getKey());
      }
    }
    consumer.pause(full);
    paused.addAll(full);
  }

  /** Per partition: the first offset with a timestamp at or after {@code time}, else its end. */
  private Map<TopicPartition, Long> offsetsAt(Collection<TopicPartition> partitions, long time) {
    Map<TopicPartition, Long> query = new HashMap<>();
    for (TopicPartition tp : partitions) {
      query.put(tp, Math.max(0, time));
    }
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    Map<TopicPartition, Long> result = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndTimestamp o = found.get(tp);
      result.put(tp, o == null ? ends.get(tp) : o.offset());
    }
    return result;
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
