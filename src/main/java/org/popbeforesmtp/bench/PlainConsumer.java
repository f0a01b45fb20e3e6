package org.popbeforesmtp.bench;

import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.popbeforesmtp.audit.HistoryReader;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;

/**
 * Issue 14's yardstick for audit, run by the bench in a JVM of its own: a plain Kafka consumer (the
 * audit's consumer settings) that reads a topic from its start to its end and decodes every value
 * with Avro's generic reader, the writer schema fetched from the registry by the id in the record.
 * Arguments: a properties file with {@code bootstrap.servers} and {@code schema.registry.url}, and
 * the topic. Prints the records decoded.
 */
public final class PlainConsumer {
  private PlainConsumer() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: PlainConsumer CONFIG.properties TOPIC");
    }
    Properties config = new Properties();
    try (Reader in = Files.newBufferedReader(Path.of(args[0]))) {
      config.load(in);
    }
    Properties client = new Properties();
    client.put("bootstrap.servers", config.getProperty("bootstrap.servers"));
    System.out.println(read(client, config.getProperty("schema.registry.url"), args[1]));
  }

  /**
   * Reads {@code topic} from its start to its end with Avro's generic reader; returns the count.
   */
  static long read(Properties client, String registryUrl, String topic) {
    Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    BinaryDecoder[] decoder = {null};
    try (SchemaRegistryClient registry = SerdeConfig.of(registryUrl).newClient()) {
      return read(
          client,
          topic,
          value -> {
            int id = ByteBuffer.wrap(value, 1, 4).getInt();
            GenericDatumReader<GenericRecord> reader =
                readers.computeIfAbsent(id, i -> new GenericDatumReader<>(registry.schemaById(i)));
            decoder[0] = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, decoder[0]);
            try {
              return reader.read(null, decoder[0]).get("eventTime") != null;
            } catch (IOException e) {
              throw new IllegalStateException("a record of " + topic + " did not decode", e);
            }
          });
    }
  }

  /**
   * Reads {@code topic} from its start to its end with the audit's consumer settings, handing every
   * value to {@code decode} (true: an event); returns the count, after checking that every record
   * was one.
   */
  static long read(Properties client, String topic, Predicate<byte[]> decode) {
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            HistoryReader.consumerProperties(client),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (var info : consumer.partitionsFor(topic)) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long decoded = 0;
      long events = 0;
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          events += decode.test(record.value()) ? 1 : 0;
          decoded++;
        }
      }
      if (events != decoded) {
        throw new IllegalStateException("decoded " + decoded + " records, " + events + " events");
      }
      return decoded;
    }
  }
}
