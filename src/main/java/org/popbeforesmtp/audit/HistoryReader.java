package org.popbeforesmtp.audit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.registry.AvroDeserializer;
import org.popbeforesmtp.registry.LoginEventDecoder;
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
  /**
   * Records buffered per partition for the merge by time. Small: buffered records are young objects
   * that each collection copies (20,000 per partition made the day's replay 10–25% slower than
   * 2,000); the consumer's fetched bytes wait in its own buffers, outside the young heap.
   */
  private static final int BUFFER_PER_PARTITION = 2_000;

  private static final Duration POLL = Duration.ofMillis(500);
  private static final int UNDECODABLE_KEPT = 100;

  private final Properties clientProps;
  private final SchemaRegistryClient registry;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final LoginEventDecoder logins;
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
    this.logins = new LoginEventDecoder(registry);
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
    // history lies in the topic already: a broker with nothing more to give should answer at once.
    // With the default 500 ms, the fetch left waiting at the end of a read held the connection,
    // and a broker answers one connection's requests in order: the reader's close (the end of
    // every parallel worker) and the offset look-up of its next read each waited for it
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
    props.putAll(clientProps);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
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
          "topic '"
              + topic
              + "' does not exist on the cluster; check --topic and --bootstrap-servers");
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
    // a partition paused by an earlier read of this reader stays paused through assign(), and
    // this read's own bookkeeping below would never resume it: the merge would wait for it forever
    consumer.resume(consumer.paused());
    Map<TopicPartition, Long> from = offsetsAt(assigned, start);
    Map<TopicPartition, Long> until =
        end == Long.MAX_VALUE ? consumer.endOffsets(assigned) : offsetsAt(assigned, end + 1);
    long total = 0;
    for (TopicPartition tp : assigned) {
      consumer.seek(tp, from.get(tp));
      total += Math.max(0, until.get(tp) - from.get(tp));
    }

    // per assigned partition, by its index in assigned: buffered records, end of range, whether
    // it is a login partition; the loop below runs per record, so no map lookups in it
    int n = assigned.size();
    List<ArrayDeque<ConsumerRecord<byte[], byte[]>>> buffers = new ArrayList<>(n);
    long[] untilOffset = new long[n];
    Map<TopicPartition, Integer> indexOf = new HashMap<>();
    // the timestamp of each buffer's first record (Long.MAX_VALUE when empty): the merge below
    // compares these, not the records, which lie far apart in memory
    long[] headTime = new long[n];
    Arrays.fill(headTime, Long.MAX_VALUE);
    int[] open = new int[n];
    int openCount = 0;
    for (int i = 0; i < n; i++) {
      TopicPartition tp = assigned.get(i);
      buffers.add(new ArrayDeque<>());
      untilOffset[i] = until.get(tp);
      indexOf.put(tp, i);
      if (from.get(tp) < until.get(tp)) {
        open[openCount++] = i;
      }
    }
    boolean[] paused = new boolean[n];
    long read = 0;
    Tally tally = new Tally();
    while (openCount > 0) {
      // hand out the earliest head, unless an open partition has none buffered
      int earliest = -1;
      long earliestTime = Long.MAX_VALUE;
      boolean starving = false;
      for (int k = 0; k < openCount; k++) {
        long t = headTime[open[k]];
        if (t == Long.MAX_VALUE) {
          starving = true;
          break;
        }
        if (t < earliestTime) {
          earliest = open[k];
          earliestTime = t;
        }
      }
      if (starving) {
        // a partition read up to its end of range is done now, not after one more poll (which
        // waits fetch.max.wait.ms when the topic has nothing after it)
        boolean empty = false;
        for (int k = openCount - 1; k >= 0; k--) {
          int i = open[k];
          if (buffers.get(i).isEmpty()) {
            if (consumer.position(assigned.get(i)) >= untilOffset[i]) {
              open[k] = open[--openCount];
            } else {
              empty = true;
            }
          }
        }
        if (empty) {
          fill(assigned, indexOf, buffers, untilOffset, paused);
          for (int k = 0; k < openCount; k++) {
            headTime[open[k]] = headTime(buffers.get(open[k]));
          }
          progress.update(read, total);
        }
        continue;
      }
      ArrayDeque<ConsumerRecord<byte[], byte[]>> source = buffers.get(earliest);
      ConsumerRecord<byte[], byte[]> r = source.pollFirst();
      headTime[earliest] = headTime(source);
      read++;
      deliver(r, earliest < loginAssigned, listener, tally);
      if (read % 10_000 == 0) {
        progress.update(read, total);
      }
    }
    progress.update(read, total);
    return new Summary(
        loginAssigned,
        loginCount,
        tally.loginRecords,
        tally.revocationRecords,
        tally.undecodableCount,
        tally.undecodable,
        tally.undecodableRevocations);
  }

  /** What a read has handed out so far. */
  private static final class Tally {
    long loginRecords;
    long revocationRecords;
    long undecodableCount;
    long undecodableRevocations;
    final List<Undecodable> undecodable = new ArrayList<>();
  }

  /**
   * Decodes one record and hands it to {@code listener}. A method of its own, not part of {@link
   * #read}'s loop, which a fresh JVM compiles on-stack: with the hand-out inside the loop, a day's
   * CLI export spent 8.3–9.1 s compiling (C2 took 1.1 s on that loop alone) and took 7.7–8.8 s;
   * with it here, 7.8–7.9 s compiling and 7.6 s (-XX:+CITime; six runs before, three after, in
   * alternating sets of three).
   */
  private void deliver(
      ConsumerRecord<byte[], byte[]> r, boolean login, Listener listener, Tally tally) {
    Object value;
    try {
      if (r.value() == null) {
        throw new SerializationException("null value (a tombstone): not an event");
      }
      value =
          login
              ? logins.decode(r.topic(), r.value())
              : revocations.deserialize(r.topic(), r.value());
    } catch (SerializationException e) {
      value = null;
      tally.undecodableCount++;
      tally.undecodableRevocations += login ? 0 : 1;
      if (tally.undecodable.size() < UNDECODABLE_KEPT) {
        tally.undecodable.add(
            new Undecodable(r.topic(), r.partition(), r.offset(), String.valueOf(e.getMessage())));
      }
    }
    if (login) {
      tally.loginRecords++;
      if (value != null) {
        listener.login((LoginEvent) value, r.timestamp());
      }
    } else {
      tally.revocationRecords++;
      if (value != null) {
        listener.revocation((Revocation) value, r.timestamp());
      }
    }
  }

  private static long headTime(ArrayDeque<ConsumerRecord<byte[], byte[]>> buffer) {
    ConsumerRecord<byte[], byte[]> head = buffer.peekFirst();
    return head == null ? Long.MAX_VALUE : head.timestamp();
  }

  /**
   * One poll into the buffers (records past a partition's end of range are dropped); a partition
   * whose buffer is full is paused until it is half empty.
   */
  private void fill(
      List<TopicPartition> assigned,
      Map<TopicPartition, Integer> indexOf,
      List<ArrayDeque<ConsumerRecord<byte[], byte[]>>> buffers,
      long[] untilOffset,
      boolean[] paused) {
    List<TopicPartition> resume = new ArrayList<>();
    for (int i = 0; i < paused.length; i++) {
      if (paused[i] && buffers.get(i).size() < BUFFER_PER_PARTITION / 2) {
        resume.add(assigned.get(i));
        paused[i] = false;
      }
    }
    consumer.resume(resume);
    ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
    for (TopicPartition tp : records.partitions()) {
      int i = indexOf.get(tp);
      ArrayDeque<ConsumerRecord<byte[], byte[]>> buffer = buffers.get(i);
      for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
        if (r.offset() < untilOffset[i]) {
          buffer.addLast(r);
        }
      }
    }
    List<TopicPartition> full = new ArrayList<>();
    for (int i = 0; i < paused.length; i++) {
      if (!paused[i] && buffers.get(i).size() >= BUFFER_PER_PARTITION) {
        full.add(assigned.get(i));
        paused[i] = true;
      }
    }
    consumer.pause(full);
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
