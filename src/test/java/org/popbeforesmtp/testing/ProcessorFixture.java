package org.popbeforesmtp.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.net.GrantKeys;
import org.popbeforesmtp.registry.AvroDeserializer;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;

/**
 * What a processor IT needs: unique topics, application id and registry scope on the shared broker,
 * a producer of logins, a consumer of relay.grants and an HTTP client.
 */
public final class ProcessorFixture implements AutoCloseable {
  public final String prefix = KafkaBroker.unique("it") + ".";
  public final String applicationId = KafkaBroker.unique("processor-it");
  public final String registryUrl = "mock://" + KafkaBroker.unique("registry");
  public final SchemaRegistryClient registry = SerdeConfig.of(registryUrl).newClient();
  private final HttpClient http = HttpClient.newHttpClient();
  private KafkaProducer<String, LoginEvent> producer;
  private KafkaConsumer<String, RelayGrant> consumer;

  /** A processor config on this fixture's names, with the given extra settings. */
  public ProcessorConfig config(Path stateDir, Map<String, String> settings) {
    return config(stateDir, settings, Map.of());
  }

  /**
   * A processor config on this fixture's names, with the given extra settings and Kafka client or
   * Streams properties.
   */
  public ProcessorConfig config(
      Path stateDir, Map<String, String> settings, Map<String, String> kafka) {
    return AppConfigs.processor(
        KafkaBroker.bootstrapServers(),
        registryUrl,
        applicationId,
        stateDir,
        AppConfigs.withTopics(Topics.defaults().withPrefix(prefix), settings),
        kafka);
  }

  /** An edge reading this fixture's grants topic. */
  public EdgeConfig edgeConfig() {
    return AppConfigs.edge(
        KafkaBroker.bootstrapServers(), registryUrl, prefix + "relay.grants", Map.of());
  }

  /** Produces a login keyed by its canonical address and waits for the broker's ack. */
  public void send(LoginEvent event) throws Exception {
    sendAll(List.of(event));
  }

  /** Produces logins in one go (one producer batch where they fit) and waits for every ack. */
  public void sendAll(List<LoginEvent> events) throws Exception {
    if (producer == null) {
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      producer =
          new KafkaProducer<>(
              p, new StringSerializer(), new AvroSerializer<>(LoginEvent.class, registry, true));
    }
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (LoginEvent event : events) {
      acks.add(
          producer.send(
              new ProducerRecord<>(
                  prefix + "mail.logins",
                  GrantKeys.PER_ADDRESS.keyOf(event.getClientIp()),
                  event)));
    }
    producer.flush();
    for (Future<RecordMetadata> ack : acks) {
      ack.get();
    }
  }

  /** Records on relay.grants (read_committed) that arrive within {@code wait}. */
  public List<ConsumerRecord<String, RelayGrant>> grants(Duration wait) {
    if (consumer == null) {
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
      p.put(ConsumerConfig.GROUP_ID_CONFIG, KafkaBroker.unique("grants-reader"));
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumer =
          new KafkaConsumer<>(
              p, new StringDeserializer(), new AvroDeserializer<>(RelayGrant.class, registry));
      consumer.subscribe(List.of(prefix + "relay.grants"));
    }
    List<ConsumerRecord<String, RelayGrant>> out = new ArrayList<>();
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(200)).forEach(out::add);
    }
    return out;
  }

  /** GET on a local port; returns status and body. */
  public HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** POST of a JSON body on a local port. */
  public HttpResponse<String> post(int port, String path, String json)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close();
    }
    if (consumer != null) {
      consumer.close();
    }
  }
}
