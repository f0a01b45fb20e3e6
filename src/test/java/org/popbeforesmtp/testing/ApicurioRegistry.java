package org.popbeforesmtp.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Apicurio Registry (Confluent-compatible API) as a child JVM, from the distribution that
 * Maven unpacks into {@code target/apicurio} before the integration tests. Loopback only, a free
 * port, in-memory storage.
 */
public final class ApicurioRegistry implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final String url;

  private ApicurioRegistry(Process process, Path log, String url) {
    this.process = process;
    this.log = log;
    this.url = url;
  }

  /** Starts the registry and waits until its Confluent API answers. */
  public static ApicurioRegistry start(Path workDir) throws IOException, InterruptedException {
    String home = System.getProperty("apicurio.home", "target/apicurio");
    Path runner;
    try (Stream<Path> files = Files.walk(Path.of(home))) {
      runner =
          files
              .filter(p -> p.getFileName().toString().endsWith("-runner.jar"))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "no Apicurio *-runner.jar under "
                              + home
                              + ": run the tests through Maven (mvn verify), which unpacks it"));
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Path log = workDir.resolve("apicurio.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process =
        new ProcessBuilder(
                List.of(
                    java,
                    "-Xmx512m",
                    "-Dquarkus.http.host=127.0.0.1",
                    "-Dquarkus.http.port=" + port,
                    "-jar",
                    runner.getFileName().toString()))
            .directory(runner.getParent().toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    String url = "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    ApicurioRegistry registry = new ApicurioRegistry(process, log, url);
    registry.awaitReady(Duration.ofSeconds(90));
    return registry;
  }

  private void awaitReady(Duration limit) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Apicurio exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      try {
        HttpResponse<Void> response =
            http.send(
                HttpRequest.newBuilder(URI.create(url + "/subjects"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    close();
    throw new IllegalStateException("Apicurio not ready after " + limit + "; log: " + log);
  }

  /** Base URL of the Confluent-compatible API. */
  public String url() {
    return url;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
