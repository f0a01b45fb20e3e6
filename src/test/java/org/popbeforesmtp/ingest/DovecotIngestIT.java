package org.popbeforesmtp.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.config.Topics;
import org.popbeforesmtp.registry.AvroDeserializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.runtime.EmbeddedKafka;
import org.popbeforesmtp.runtime.IngestApp;
import org.popbeforesmtp.runtime.TopicProvisioner;
import org.popbeforesmtp.testing.Dovecot;
import org.popbeforesmtp.testing.KafkaBroker;

/**
 * Real Dovecot reports POP3 logins to the ingest endpoint; the events land on mail.logins of a real
 * broker, also when the broker was down during the login.
 */
class DovecotIngestIT {
  @TempDir Path dir;

  @Test
  void dovecotLoginsBecomeLoginEventsEvenWhileKafkaIsDown() throws Exception {
    assumeTrue(
        Dovecot.installed() || System.getenv("CI") != null,
        "dovecot-pop3d is not installed (apt-get install dovecot-pop3d)");
    EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"), Map.of());
    String registryUrl = "mock://" + KafkaBroker.unique("ingest");
    SchemaRegistryClient registry = SerdeConfig.of(registryUrl).newClient();
    Topics topics = Topics.defaults();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      TopicProvisioner.ensure(admin, topics, 3, -1);
    }
    IngestConfig config =
        IngestConfig.from(
            ConfigSources.load(
                IngestConfig.SETTINGS,
                IngestConfig.DEFAULTS,
                null,
                Map.of(),
                Map.of(
                    "bootstrap.servers", broker.bootstrapServers(),
                    "schema.registry.url", registryUrl,
                    "http.port", "0",
                    "server.id", "pop-test",
                    "max.unavailable", "2m"),
                Map.of("reconnect.backoff.max.ms", "500")));
    try (IngestApp ingest = IngestApp.start(config);
        Dovecot dovecot =
            Dovecot.start(
                dir.resolve("dovecot"),
                "http://127.0.0.1:" + ingest.httpPort() + "/v1/dovecot-policy");
        KafkaConsumer<String, LoginEvent> consumer = consumer(broker, registry)) {
      assertThat(dovecot.pop3Login("127.0.0.5", "alice", "secret")).as(dovecot.log()).isTrue();
      assertThat(dovecot.pop3Login("127.0.0.6", "bob", "wrong")).isFalse();

      List<ConsumerRecord<String, LoginEvent>> seen = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                assertThat(seen).hasSize(2);
              });
      ConsumerRecord<String, LoginEvent> ok =
          seen.stream()
              .filter(r -> r.value().getUsername().equals("alice"))
              .findFirst()
              .orElseThrow();
      assertThat(ok.key()).isEqualTo("127.0.0.5");
      assertThat(ok.value().getClientIp()).isEqualTo("127.0.0.5");
      assertThat(ok.value().getOutcome()).isEqualTo(Outcome.SUCCESS);
      assertThat(ok.value().getProtocol()).isEqualTo(Protocol.POP3);
      assertThat(ok.value().getSource()).isEqualTo("dovecot-policy");
      assertThat(ok.value().getSessionId()).isNotBlank();
      ConsumerRecord<String, LoginEvent> bad =
          seen.stream()
              .filter(r -> r.value().getUsername().equals("bob"))
              .findFirst()
              .orElseThrow();
      assertThat(bad.value().getOutcome()).isEqualTo(Outcome.FAILURE);
      assertThat(bad.value().getClientIp()).isEqualTo("127.0.0.6");

      broker.close();
      long start = System.nanoTime();
      assertThat(dovecot.pop3Login("127.0.0.7", "alice", "secret")).isTrue();
      long loginMs = (System.nanoTime() - start) / 1_000_000;
      System.out.println("DOVECOT: POP3 login with Kafka down took " + loginMs + " ms");
      assertThat(loginMs).as("a login never waits for Kafka").isLessThan(1500);

      broker = broker.restart();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                assertThat(seen).anyMatch(r -> r.value().getClientIp().equals("127.0.0.7"));
              });
      assertThat(ingest.publisher().failed()).isZero();
    } finally {
      broker.close();
    }
  }

  private static KafkaConsumer<String, LoginEvent> consumer(
      EmbeddedKafka broker, SchemaRegistryClient registry) {
    Properties p = new Properties();
    p.put("bootstrap.servers", broker.bootstrapServers());
    p.put("group.id", KafkaBroker.unique("logins-reader"));
    p.put("auto.offset.reset", "earliest");
    p.put("reconnect.backoff.max.ms", "500");
    KafkaConsumer<String, LoginEvent> c =
        new KafkaConsumer<>(
            p, new StringDeserializer(), new AvroDeserializer<>(LoginEvent.class, registry));
    c.subscribe(List.of("mail.logins"));
    return c;
  }
}
