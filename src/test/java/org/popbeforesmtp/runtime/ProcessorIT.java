package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.testing.KafkaBroker;
import org.popbeforesmtp.testing.ProcessorFixture;
import org.popbeforesmtp.testing.TestEvents;

/** The processor on a real broker: grants on the topic and over HTTP, expiry, restart. */
@ExtendWith(KafkaBroker.class)
class ProcessorIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static void awaitRunning(ProcessorApp app) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
  }

  @Test
  void shouldGrantAnswerOverHttpAndExpire() throws Exception {
    long starting = System.nanoTime();
    try (ProcessorFixture f = new ProcessorFixture();
        ProcessorApp app =
            ProcessorApp.start(f.config(dir.resolve("state"), Map.of("ttl", "6s")))) {
      awaitRunning(app);
      System.out.println(
          "STARTUP: provisioning + RUNNING in "
              + (System.nanoTime() - starting) / 1_000_000
              + " ms");
      assertThat(f.get(app.httpPort(), "/health/ready").statusCode()).isEqualTo(200);
      LoginEvent event =
          TestEvents.login(Instant.now()).setClientIp("::ffff:198.51.100.23").build();

      f.send(event);

      List<ConsumerRecord<String, RelayGrant>> seen = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> seen.addAll(f.grants(Duration.ofMillis(300))) && !seen.isEmpty());
      assertThat(seen.get(0).key()).isEqualTo("198.51.100.23");
      assertThat(seen.get(0).value().getEventId()).isEqualTo(event.getEventId());

      HttpResponse<String> found = f.get(app.httpPort(), "/v1/grants/198.51.100.23");
      assertThat(found.statusCode()).isEqualTo(200);
      JsonNode grant = JSON.readTree(found.body());
      assertThat(grant.get("key").asText()).isEqualTo("198.51.100.23");
      assertThat(grant.get("username").asText()).isEqualTo("alice");
      assertThat(grant.get("eventId").asText()).isEqualTo(event.getEventId());
      assertThat(grant.get("expiresAt").asText())
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      assertThat(f.get(app.httpPort(), "/v1/grants/198.51.100.24").statusCode()).isEqualTo(404);
      HttpResponse<String> bad = f.get(app.httpPort(), "/v1/grants/mail.example.com");
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("mail.example.com");
      String metrics = f.get(app.httpPort(), "/metrics").body();
      assertThat(metrics)
          .contains("pop_before_smtp_grants_started_total 1.0")
          .contains("pop_before_smtp_grants_live 1.0")
          .contains("pop_before_smtp_logins_refused_total{reason=\"duplicate\"}");

      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> seen.addAll(f.grants(Duration.ofMillis(300))) && seen.size() >= 2);
      assertThat(seen.get(1).key()).isEqualTo("198.51.100.23");
      assertThat(seen.get(1).value()).as("expiry tombstone").isNull();
      assertThat(f.get(app.httpPort(), "/metrics").body())
          .contains("pop_before_smtp_grants_expired_total 1.0")
          .contains("pop_before_smtp_expiry_lag_max_ms");
      assertThat(f.get(app.httpPort(), "/v1/grants/198.51.100.23").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void shouldAnswerUserAndHistoryQueriesAndApplyRevocationsPostedOverHttp() throws Exception {
    try (ProcessorFixture f = new ProcessorFixture();
        ProcessorApp app = ProcessorApp.start(f.config(dir.resolve("state"), Map.of()))) {
      awaitRunning(app);
      Instant now = Instant.now();
      f.send(TestEvents.login(now).setClientIp("198.51.100.1").setUsername("alice").build());
      f.send(TestEvents.login(now).setClientIp("198.51.100.1").setUsername("bob").build());
      f.send(TestEvents.login(now).setClientIp("198.51.100.2").setUsername("alice").build());
      // the three logins land in different partitions (tasks): wait until all were applied
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                JsonNode history =
                    JSON.readTree(f.get(app.httpPort(), "/v1/logins/198.51.100.1").body());
                assertThat(history.get("sessions")).hasSize(1);
                assertThat(history.get("sessions").get(0).get("users")).hasSize(2);
                assertThat(f.get(app.httpPort(), "/v1/grants/198.51.100.2").statusCode())
                    .isEqualTo(200);
              });
      JsonNode alice = JSON.readTree(f.get(app.httpPort(), "/v1/grants?user=alice").body());
      assertThat(alice.get("grants")).hasSize(2);
      JsonNode history = JSON.readTree(f.get(app.httpPort(), "/v1/logins/198.51.100.1").body());
      assertThat(history.get("sessions").get(0).get("live").asBoolean()).isTrue();

      HttpResponse<String> posted =
          f.post(
              app.httpPort(),
              "/v1/revocations",
              "{\"scope\":\"USER\",\"target\":\"alice\",\"reason\":\"compromised\"}");
      assertThat(posted.statusCode()).isEqualTo(202);
      assertThat(f.post(app.httpPort(), "/v1/revocations", "{\"scope\":\"HOST\"}").statusCode())
          .isEqualTo(400);
      // what a page on another site can send without a CORS preflight is refused
      HttpResponse<String> plain =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + app.httpPort() + "/v1/revocations"))
                      .header("Content-Type", "text/plain;charset=UTF-8")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"scope\":\"KEY\",\"target\":\"198.51.100.1\",\"reason\":\"x\"}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(plain.statusCode()).as(plain.body()).isEqualTo(415);

      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> f.get(app.httpPort(), "/v1/grants/198.51.100.2").statusCode() == 404);
      JsonNode shared = JSON.readTree(f.get(app.httpPort(), "/v1/grants/198.51.100.1").body());
      assertThat(shared.get("username").asText())
          .as("bob still holds the shared key")
          .isEqualTo("bob");
      assertThat(JSON.readTree(f.get(app.httpPort(), "/v1/grants?user=alice").body()).get("grants"))
          .isEmpty();
    }
  }

  @Test
  void shouldKeepGrantsAcrossARestartWithoutDuplicates() throws Exception {
    try (ProcessorFixture f = new ProcessorFixture()) {
      LoginEvent event = TestEvents.login(Instant.now()).setClientIp("203.0.113.77").build();
      try (ProcessorApp app = ProcessorApp.start(f.config(dir.resolve("a"), Map.of()))) {
        awaitRunning(app);
        f.send(event);
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> f.get(app.httpPort(), "/v1/grants/203.0.113.77").statusCode() == 200);
      }
      // a fresh state directory: the stores come back from their changelogs
      try (ProcessorApp app = ProcessorApp.start(f.config(dir.resolve("b"), Map.of()))) {
        awaitRunning(app);
        HttpResponse<String> found = f.get(app.httpPort(), "/v1/grants/203.0.113.77");
        assertThat(found.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(found.body()).get("eventCount").asInt()).isEqualTo(1);
        f.send(event); // a duplicate after the restart changes nothing
        List<ConsumerRecord<String, RelayGrant>> all = f.grants(Duration.ofSeconds(4));
        assertThat(all).hasSize(1);
        assertThat(all.get(0).value().getEventId()).isEqualTo(event.getEventId());
      }
    }
  }

  @Test
  void shouldApplyALoweredTtlToGrantsAlreadyPublished() throws Exception {
    try (ProcessorFixture f = new ProcessorFixture()) {
      Instant login = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      try (ProcessorApp app = ProcessorApp.start(f.config(dir.resolve("a"), Map.of("ttl", "1h")))) {
        awaitRunning(app);
        f.send(TestEvents.login(login).setClientIp("203.0.113.80").build());
        f.send(TestEvents.login(login).setClientIp("203.0.113.81").build());
        List<ConsumerRecord<String, RelayGrant>> seen = new ArrayList<>();
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> seen.addAll(f.grants(Duration.ofMillis(300))) && seen.size() >= 2);
        assertThat(seen)
            .allSatisfy(
                r ->
                    assertThat(r.value().getExpiresAt())
                        .isEqualTo(login.plus(Duration.ofHours(1))));
      }
      // the operator lowers the TTL to 30 s and restarts: the published grants now end 30 s after
      // the login (re-published with that expiry, then tombstoned), not an hour after it
      try (ProcessorApp app =
          ProcessorApp.start(f.config(dir.resolve("a"), Map.of("ttl", "30s")))) {
        awaitRunning(app);
        List<ConsumerRecord<String, RelayGrant>> after = new ArrayList<>();
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> after.addAll(f.grants(Duration.ofMillis(300))) && after.size() >= 2);
        assertThat(after)
            .allSatisfy(
                r ->
                    assertThat(r.value() == null ? null : r.value().getExpiresAt())
                        .as("re-published with the new expiry (or ended, if that has passed)")
                        .isIn(null, login.plus(Duration.ofSeconds(30))));
        assertThat(f.get(app.httpPort(), "/v1/grants/203.0.113.80").statusCode())
            .isEqualTo(Instant.now().isBefore(login.plusSeconds(30)) ? 200 : 404);
        await()
            .atMost(Duration.ofSeconds(40))
            .until(
                () ->
                    after.addAll(f.grants(Duration.ofMillis(300)))
                        && after.stream().filter(r -> r.value() == null).count() == 2);
        assertThat(f.get(app.httpPort(), "/v1/grants/203.0.113.81").statusCode()).isEqualTo(404);
      }
    }
  }

  @Test
  void shouldSayWhenItLosesKafkaAndWhenKafkaAnswersAgain() throws Exception {
    EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"), Map.of());
    try (ProcessorFixture f = new ProcessorFixture();
        ProcessorApp app =
            ProcessorApp.start(
                f.config(
                    dir.resolve("state"),
                    Map.of("bootstrap.servers", broker.bootstrapServers(), "partitions", "1")))) {
      await().atMost(Duration.ofSeconds(60)).until(app::isReady);
      assertThat(f.get(app.httpPort(), "/metrics").body())
          .contains("pop_before_smtp_kafka_reachable 1.0");
      broker.close();
      await()
          .atMost(Duration.ofSeconds(40))
          .until(
              () ->
                  f.get(app.httpPort(), "/metrics")
                      .body()
                      .contains("pop_before_smtp_kafka_reachable 0.0"));
      broker = broker.restart();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  f.get(app.httpPort(), "/metrics")
                      .body()
                      .contains("pop_before_smtp_kafka_reachable 1.0"));
    } finally {
      broker.close();
    }
  }

  @Test
  void shouldPublishOneRecordPerKeyPerCommitInterval() throws Exception {
    try (ProcessorFixture f = new ProcessorFixture()) {
      Instant t = Instant.now();
      List<LoginEvent> burst = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        burst.add(
            TestEvents.login(t.minusSeconds(10 - i))
                .setClientIp("203.0.113.88")
                .setUsername("user" + i % 2)
                .build());
      }
      // a commit interval far longer than the burst takes to process: a commit can fall inside
      // the burst only by a chance of about a millisecond in two seconds
      var config = f.config(dir.resolve("state"), Map.of(), Map.of("commit.interval.ms", "2000"));
      try (ProcessorApp app = ProcessorApp.start(config)) {
        awaitRunning(app);
        f.sendAll(burst);
        List<ConsumerRecord<String, RelayGrant>> seen = new ArrayList<>();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    seen.addAll(f.grants(Duration.ofMillis(300)))
                        && seen.get(seen.size() - 1).value().getEventCount() == 10);
        seen.addAll(f.grants(Duration.ofSeconds(2)));
        assertThat(seen)
            .as("ten logins of one key, one relay.grants record")
            .singleElement()
            .satisfies(
                r -> {
                  assertThat(r.value().getEventId()).isEqualTo(burst.get(9).getEventId());
                  assertThat(r.value().getExpiresAt())
                      .isEqualTo(burst.get(9).getEventTime().plus(Duration.ofMinutes(30)));
                });
        HttpResponse<String> found = f.get(app.httpPort(), "/v1/grants/203.0.113.88");
        assertThat(JSON.readTree(found.body()).get("eventCount").asInt()).isEqualTo(10);
      }
    }
  }
}
