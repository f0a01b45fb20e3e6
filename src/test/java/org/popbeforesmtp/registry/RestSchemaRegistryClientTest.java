package org.popbeforesmtp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.avro.LoginEvent;

/** The REST client against a local stub that answers what each test sets up. */
class RestSchemaRegistryClientTest {
  private static final Schema SCHEMA = LoginEvent.getClassSchema();

  private HttpServer server;
  private final Map<String, Stub> stubs = new ConcurrentHashMap<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<String> authHeaders = new CopyOnWriteArrayList<>();
  private String url;

  record Stub(int status, String body, long delayMillis) {}

  @BeforeEach
  void startStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/ccompat/v7";
  }

  @AfterEach
  void stopStub() {
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    String key = exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath();
    requests.add(
        key + " " + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    authHeaders.add(auth == null ? "" : auth);
    Stub stub =
        stubs.getOrDefault(
            key, new Stub(404, "{\"error_code\":40401,\"message\":\"not found\"}", 0));
    if (stub.delayMillis() > 0) {
      try {
        Thread.sleep(stub.delayMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    byte[] body = stub.body().getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(stub.status(), body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  private void stub(String request, int status, String body) {
    stubs.put(request, new Stub(status, body, 0));
  }

  private RestSchemaRegistryClient client() {
    return new RestSchemaRegistryClient(url, Duration.ofSeconds(2), null);
  }

  @Test
  void shouldRegisterUnderTheSubjectAndCacheTheId() {
    stub("POST /apis/ccompat/v7/subjects/mail.logins-value/versions", 200, "{\"id\":7}");
    RestSchemaRegistryClient client = client();

    assertThat(client.register("mail.logins-value", SCHEMA)).isEqualTo(7);
    assertThat(client.register("mail.logins-value", SCHEMA)).isEqualTo(7);

    assertThat(requests).hasSize(1);
    assertThat(requests.get(0)).contains("\"schema\":").contains("LoginEvent");
    assertThat(client.schemaById(7)).isEqualTo(SCHEMA);
    assertThat(requests).as("schema of a registered id comes from the cache").hasSize(1);
  }

  @Test
  void shouldFetchSchemasByIdOnce() {
    stub(
        "GET /apis/ccompat/v7/schemas/ids/3", 200, "{\"schema\":" + quote(SCHEMA.toString()) + "}");
    RestSchemaRegistryClient client = client();

    assertThat(client.schemaById(3)).isEqualTo(SCHEMA);
    assertThat(client.schemaById(3)).isEqualTo(SCHEMA);
    assertThat(requests).hasSize(1);
  }

  @Test
  void shouldReadTheLatestVersionAndCheckCompatibility() {
    stub(
        "GET /apis/ccompat/v7/subjects/s-value/versions/latest",
        200,
        "{\"subject\":\"s-value\",\"version\":4,\"id\":11,\"schema\":"
            + quote(SCHEMA.toString())
            + "}");
    stub(
        "POST /apis/ccompat/v7/compatibility/subjects/s-value/versions/latest",
        200,
        "{\"is_compatible\":false}");
    stub("PUT /apis/ccompat/v7/config/s-value", 200, "{\"compatibility\":\"BACKWARD\"}");
    RestSchemaRegistryClient client = client();

    assertThat(client.latest("s-value"))
        .isEqualTo(new SchemaRegistryClient.SchemaVersion("s-value", 4, 11, SCHEMA));
    assertThat(client.isCompatible("s-value", SCHEMA)).isFalse();
    assertThat(client.isCompatible("new-subject", SCHEMA)).as("404: no version yet").isTrue();
    client.setCompatibility("s-value", "BACKWARD");
    assertThat(requests)
        .anyMatch(r -> r.startsWith("PUT") && r.contains("\"compatibility\":\"BACKWARD\""));
  }

  @Test
  void shouldNameUrlSubjectAndStatusOnAConflict() {
    stub("POST /apis/ccompat/v7/subjects/x-value/versions", 409, "{\"error_code\":409}");
    assertThatThrownBy(() -> client().register("x-value", SCHEMA))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(409))
        .hasMessageContaining(url)
        .hasMessageContaining("x-value")
        .hasMessageContaining("HTTP 409");
  }

  @Test
  void shouldNameTheIdWhenNotFound() {
    assertThatThrownBy(() -> client().schemaById(99))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(404))
        .hasMessageContaining("schema id 99")
        .hasMessageContaining("HTTP 404");
  }

  @Test
  void shouldReportServerErrorsAndNonJsonBodies() {
    stub("GET /apis/ccompat/v7/schemas/ids/1", 500, "boom");
    stub("GET /apis/ccompat/v7/schemas/ids/2", 200, "<html>proxy login</html>");
    stub("GET /apis/ccompat/v7/schemas/ids/3", 200, "{\"schema\":\"not a schema\"}");
    assertThatThrownBy(() -> client().schemaById(1))
        .hasMessageContaining("HTTP 500")
        .hasMessageContaining("boom");
    assertThatThrownBy(() -> client().schemaById(2)).hasMessageContaining("not JSON");
    assertThatThrownBy(() -> client().schemaById(3)).hasMessageContaining("cannot parse");
  }

  @Test
  void shouldTimeOutOnASlowRegistry() {
    stubs.put("GET /apis/ccompat/v7/schemas/ids/5", new Stub(200, "{}", 3_000));
    RestSchemaRegistryClient client =
        new RestSchemaRegistryClient(url, Duration.ofMillis(300), null);
    assertThatThrownBy(() -> client.schemaById(5))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(-1))
        .hasMessageContaining("unreachable")
        .hasMessageContaining("schema id 5");
  }

  @Test
  void shouldReportAnUnreachableRegistry() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    RestSchemaRegistryClient client =
        new RestSchemaRegistryClient("http://127.0.0.1:" + port, Duration.ofSeconds(1), null);
    assertThatThrownBy(() -> client.register("s-value", SCHEMA))
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("unreachable")
        .hasMessageContaining("s-value");
  }

  @Test
  void shouldSendBasicAuthWhenConfigured() {
    stub("POST /apis/ccompat/v7/subjects/a-value/versions", 200, "{\"id\":1}");
    new RestSchemaRegistryClient(url, Duration.ofSeconds(2), "svc:secret")
        .register("a-value", SCHEMA);
    assertThat(authHeaders).containsExactly("Basic c3ZjOnNlY3JldA==");
    assertThat(
            SerdeConfig.fromMap(
                    Map.of(
                        SerdeConfig.SCHEMA_REGISTRY_URL,
                        url,
                        SerdeConfig.BASIC_AUTH_USER_INFO,
                        "svc:secret"))
                .toString())
        .doesNotContain("secret");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
