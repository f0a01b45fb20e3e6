package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.testing.LoopbackPorts;

/**
 * A processor started while Kafka does not answer waits for it instead of exiting: its health
 * endpoints answer from the start (live 200, ready 503), and a stop ends the wait.
 */
class ProcessorWithoutKafkaTest {
  @TempDir Path dir;

  @Test
  void shouldWaitForKafkaWithHealthAnsweringNotReady() throws Exception {
    int port = LoopbackPorts.free();
    int nothing = LoopbackPorts.free();
    ProcessorConfig config =
        ProcessorConfig.from(
            ConfigSources.of(
                ProcessorConfig.SETTINGS,
                ProcessorConfig.DEFAULTS,
                Map.of(
                    "bootstrap.servers",
                    "127.0.0.1:" + nothing,
                    "schema.registry.url",
                    "mock://without-kafka",
                    "state.dir",
                    dir.toString(),
                    "http.host",
                    "127.0.0.1",
                    "http.port",
                    Integer.toString(port)),
                Map.of()));
    AtomicReference<Throwable> ended = new AtomicReference<>();
    Thread starter =
        new Thread(
            () -> {
              try {
                ProcessorApp.start(config).close();
              } catch (Throwable t) {
                ended.set(t);
              }
            });
    starter.start();
    HttpClient http = HttpClient.newHttpClient();
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(() -> status(http, port, "/health/ready") == 503);
    assertThat(status(http, port, "/health/live")).isEqualTo(200);
    Thread.sleep(12_000); // past the first 10 s attempt: still waiting, not exited
    assertThat(starter.isAlive()).isTrue();
    assertThat(status(http, port, "/health/ready")).isEqualTo(503);

    starter.interrupt();
    starter.join(20_000);
    assertThat(starter.isAlive()).isFalse();
    assertThat(ended.get()).as("a stop ends the wait").hasMessageContaining("interrupted while");
  }

  private static int status(HttpClient http, int port, String path)
      throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(2))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
