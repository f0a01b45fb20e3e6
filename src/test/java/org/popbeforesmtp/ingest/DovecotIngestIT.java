package org.popbeforesmtp.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
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
import org.popbeforesmtp.grants.Topics;
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
      TopicProvisioner.ensure(admin, topics.withPrefix("tail."), 1, -1);
    }
    IngestConfig config =
        IngestConfig.from(
            ConfigSources.of(
                IngestConfig.SETTINGS,
                IngestConfig.DEFAULTS,
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

      // the tail agent on the same Dovecot's own log gives the same logins, once
      long shipped = shipLog(dir, broker, registryUrl);
      assertThat(shipLog(dir, broker, registryUrl))
          .as("a restarted agent continues from its checkpoint: nothing twice")
          .isZero();
      List<String> fromLog = events(broker, registry, "tail.mail.logins");
      assertThat(fromLog)
          .as(dovecot.log())
          .hasSize((int) shipped)
          .contains(
              "alice 127.0.0.5 LOGIN SUCCESS",
              "bob 127.0.0.6 LOGIN FAILURE",
              "alice 127.0.0.7 LOGIN SUCCESS",
              "alice 127.0.0.5 LOGOUT SUCCESS");
    } finally {
      broker.close();
    }
  }

  /** Runs the tail agent over Dovecot's log until it is drained; returns logins it published. */
  private static long shipLog(Path dir, EmbeddedKafka broker, String registryUrl) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", broker.bootstrapServers());
    LogFollower follower =
        new LogFollower(
            dir.resolve("dovecot/run/dovecot.log"), dir.resolve("tail/dovecot.checkpoint"));
    try (LoginPublisher publisher =
            new LoginPublisher(
                props,
                "tail.mail.logins",
                SerdeConfig.of(registryUrl).newClient(),
                10,
                Duration.ofSeconds(30));
        LogShipper shipper =
            new LogShipper(
                List.of(follower),
                new LoginLogParser(ZoneId.systemDefault(), Clock.systemUTC()),
                publisher,
                "pop-test")) {
      while (shipper.shipOnce() > 0) {
        // until drained
      }
      return shipper.logins();
    }
  }

  /** Everything on {@code topic}, as "user ip kind outcome". */
  private static List<String> events(
      EmbeddedKafka broker, SchemaRegistryClient registry, String topic) {
    List<String> events = new ArrayList<>();
    try (KafkaConsumer<String, LoginEvent> consumer = consumer(broker, registry, topic)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, LoginEvent> r : consumer.poll(Duration.ofMillis(200))) {
          LoginEvent e = r.value();
          events.add(
              e.getUsername() + " " + e.getClientIp() + " " + e.getKind() + " " + e.getOutcome());
        }
      }
    }
    return events;
  }

  private static KafkaConsumer<String, LoginEvent> consumer(
      EmbeddedKafka broker, SchemaRegistryClient registry, String topic) {
    KafkaConsumer<String, LoginEvent> c = consumer(broker, registry);
    c.unsubscribe();
    c.subscribe(List.of(topic));
    return c;
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
