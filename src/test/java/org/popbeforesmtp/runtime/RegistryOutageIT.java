package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.testing.KafkaBroker;
import org.popbeforesmtp.testing.ProcessorFixture;
import org.popbeforesmtp.testing.TestEvents;

/**
 * The schema registry down while a login arrives whose schema id the processor has not seen yet:
 * the login is neither dead-lettered nor dropped; the processor says it waits, keeps serving, and
 * grants it once the registry answers again.
 */
@ExtendWith(KafkaBroker.class)
class RegistryOutageIT {
  @TempDir Path dir;

  @Test
  void aLoginWaitsForTheRegistryInsteadOfGoingToTheDeadLetterTopic() throws Exception {
    Path registryData = dir.resolve("registry");
    DevSchemaRegistry registry = DevSchemaRegistry.start(registryData, "127.0.0.1", 0);
    String url = registry.url();
    int registryPort = URI.create(url).getPort();
    ProcessorFixture http = new ProcessorFixture();
    Topics topics = Topics.defaults().withPrefix(http.prefix);
    // the writer registers the login schema and keeps its id, as a running POP server's would
    AvroSerializer<LoginEvent> writer =
        new AvroSerializer<>(LoginEvent.class, SerdeConfig.of(url).newClient(), true);
    writer.serialize(topics.logins(), TestEvents.login(Instant.now()).build());

    try (http;
        ProcessorApp processor =
            ProcessorApp.start(
                http.config(
                    dir.resolve("state"), Map.of("schema.registry.url", url, "partitions", "2")))) {
      await().atMost(Duration.ofSeconds(60)).until(processor::isReady);

      registry.close();
      try (KafkaProducer<String, byte[]> producer = producer()) {
        producer
            .send(
                new ProducerRecord<>(
                    topics.logins(),
                    "198.51.100.77",
                    writer.serialize(
                        topics.logins(),
                        TestEvents.login(Instant.now()).setClientIp("198.51.100.77").build())))
            .get();
      }
      // the login waits: no grant, nothing dead-lettered, the processor alive and answering
      await().atMost(Duration.ofSeconds(30)).until(() -> processor.registryWaits() >= 2);
      assertThat(http.get(processor.httpPort(), "/v1/grants/198.51.100.77").statusCode())
          .isIn(404, 503);
      assertThat(http.get(processor.httpPort(), "/health/live").statusCode()).isEqualTo(200);
      assertThat(deadLetters(topics)).as("dead letters while the registry is down").isZero();

      long back = System.nanoTime();
      DevSchemaRegistry again = DevSchemaRegistry.start(registryData, "127.0.0.1", registryPort);
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(
                () ->
                    http.get(processor.httpPort(), "/v1/grants/198.51.100.77").statusCode() == 200);
        System.out.printf(
            "REGISTRY OUTAGE: the login waited (%d thread replacements, none dead-lettered) and was"
                + " granted %.1f s after the registry came back%n",
            processor.registryWaits(), (System.nanoTime() - back) / 1e9);
        assertThat(deadLetters(topics)).isZero();
        assertThat(processor.isReady()).isTrue();
      } finally {
        again.close();
      }
    }
  }

  private static KafkaProducer<String, byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  private static int deadLetters(Topics topics) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, KafkaBroker.unique("dlq-reader"));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    int n = 0;
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topics.deadLetters()));
      long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < deadline) {
        n += c.poll(Duration.ofMillis(200)).count();
      }
    }
    return n;
  }
}
