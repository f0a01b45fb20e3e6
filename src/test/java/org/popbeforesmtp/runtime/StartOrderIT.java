package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.testing.Commands;
import org.popbeforesmtp.testing.KafkaBroker;
import org.popbeforesmtp.testing.TestEvents;

/**
 * Services start in any order on a broker with Kafka's default {@code
 * auto.create.topics.enable=true}: an edge, an ingest endpoint and a {@code publish} started before
 * any processor create no topic (they wait for theirs), {@code topics check} reports them missing,
 * and once the processor has created them everything flows: the login ingest queued and the one
 * publish waited with become grants the edge answers.
 */
class StartOrderIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void shouldLetEveryServiceStartBeforeTheProcessorWithoutCreatingATopic() throws Exception {
    String registry = "mock://" + KafkaBroker.unique("start-order");
    HttpClient http = HttpClient.newHttpClient();
    try (EmbeddedKafka broker =
            EmbeddedKafka.start(
                dir.resolve("kafka"),
                Map.of("auto.create.topics.enable", "true", "num.partitions", "1"));
        Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
        EdgeApp edge = EdgeApp.start(edgeConfig(broker, registry));
        IngestApp ingest = IngestApp.start(ingestConfig(broker, registry))) {
      ingest.publisher().submit(TestEvents.login(Instant.now()).setClientIp("192.0.2.10").build());
      CompletableFuture<Commands.Result> publish =
          CompletableFuture.supplyAsync(
              () ->
                  Commands.execute(
                      "publish",
                      "--bootstrap-servers",
                      broker.bootstrapServers(),
                      "--schema-registry-url",
                      registry,
                      "--user",
                      "bob",
                      "--ip",
                      "192.0.2.11"));
      Thread.sleep(3000);
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .as("no client but the processor creates a topic")
          .isEmpty();
      assertThat(status(http, edge.httpPort(), "/health/ready")).isEqualTo(503);
      Commands.Result check =
          Commands.execute("topics", "check", "--bootstrap-servers", broker.bootstrapServers());
      assertThat(check.code()).isEqualTo(1);
      assertThat(check.out()).contains("relay.grants", "missing");
      assertThat(check.err()).contains("topics create");

      try (ProcessorApp processor = ProcessorApp.start(processorConfig(broker, registry))) {
        Config grants =
            admin
                .describeConfigs(
                    Set.of(new ConfigResource(ConfigResource.Type.TOPIC, "relay.grants")))
                .all()
                .get(10, TimeUnit.SECONDS)
                .values()
                .iterator()
                .next();
        assertThat(grants.get("cleanup.policy").value()).isEqualTo("compact");
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> processor.streams().state() == KafkaStreams.State.RUNNING);
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .untilAsserted(
                () -> {
                  assertThat(relay(http, edge.httpPort(), "192.0.2.10"))
                      .as("the login ingest queued")
                      .isTrue();
                  assertThat(relay(http, edge.httpPort(), "192.0.2.11"))
                      .as("the login publish waited with")
                      .isTrue();
                });
        Commands.Result published = publish.get(60, TimeUnit.SECONDS);
        assertThat(published.code()).as(published.err()).isZero();
        assertThat(status(http, edge.httpPort(), "/health/ready")).isEqualTo(200);
        Commands.Result ok =
            Commands.execute("topics", "check", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("relay.grants", "3 partitions", "cleanup.policy=compact");
      }
    }
  }

  private static boolean relay(HttpClient http, int port, String ip) throws Exception {
    HttpResponse<String> r = get(http, port, "/v1/check/" + ip);
    return JSON.readTree(r.body()).get("relay").asBoolean();
  }

  private static int status(HttpClient http, int port, String path) throws Exception {
    return get(http, port, path).statusCode();
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static EdgeConfig edgeConfig(EmbeddedKafka broker, String registry) {
    return EdgeConfig.from(
        ConfigSources.of(
            EdgeConfig.SETTINGS,
            EdgeConfig.DEFAULTS,
            Map.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "schema.registry.url", registry,
                "policy.port", "0",
                "socketmap.port", "0",
                "http.port", "0"),
            Map.of()));
  }

  private static IngestConfig ingestConfig(EmbeddedKafka broker, String registry) {
    return IngestConfig.from(
        ConfigSources.of(
            IngestConfig.SETTINGS,
            IngestConfig.DEFAULTS,
            Map.of(
                "bootstrap.servers",
                broker.bootstrapServers(),
                "schema.registry.url",
                registry,
                "http.port",
                "0"),
            Map.of()));
  }

  private ProcessorConfig processorConfig(EmbeddedKafka broker, String registry) {
    return ProcessorConfig.from(
        ConfigSources.of(
            ProcessorConfig.SETTINGS,
            ProcessorConfig.DEFAULTS,
            Map.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "schema.registry.url", registry,
                "state.dir", dir.resolve("state").toString(),
                "partitions", "3",
                "http.host", "127.0.0.1",
                "http.port", "0",
                "advertised.host", "127.0.0.1"),
            Map.of("num.standby.replicas", "0")));
  }
}
