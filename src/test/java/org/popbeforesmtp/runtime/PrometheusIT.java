package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.testing.Commands;
import org.popbeforesmtp.testing.LoopbackPorts;

/**
 * The shipped Prometheus rules and Grafana dashboard against the real thing: {@code promtool check
 * rules} passes, a real Prometheus (Debian's) scrapes the dev stack's three {@code /metrics} with
 * those rules loaded and healthy, every metric the rules and the dashboard name exists in what it
 * scraped, and a published login shows in {@code pop_before_smtp_grants_live}.
 */
class PrometheusIT {
  private static final Path RULES = Path.of("deploy/prometheus/pop-before-smtp.rules.yml");
  private static final Path DASHBOARD = Path.of("deploy/grafana/pop-before-smtp.json");
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:pop_before_smtp|kafka)_[a-z0-9_]+)\\b");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void prometheusScrapesTheStackAndEveryRuleAndPanelFindsItsMetrics() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/prometheus")) || System.getenv("CI") != null,
        "prometheus is not installed (apt-get install prometheus)");
    Process check =
        new ProcessBuilder("/usr/bin/promtool", "check", "rules", RULES.toString())
            .redirectErrorStream(true)
            .start();
    String checked = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor()).as(checked).isZero();

    try (DevStack stack =
        DevStack.start(
            new DevStack.Settings(
                dir.resolve("dev"), true, 0, 0, 0, 0, 0, Map.of(), Map.of("ttl", "10m")))) {
      int port = LoopbackPorts.free();
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          String.join(
              "\n",
              "global:",
              "  scrape_interval: 1s",
              "  evaluation_interval: 1s",
              "rule_files:",
              "  - " + RULES.toAbsolutePath(),
              "scrape_configs:",
              job("pop-before-smtp-processor", stack.processor().httpPort()),
              job("pop-before-smtp-edge", stack.edge().httpPort()),
              job("pop-before-smtp-ingest", stack.ingest().httpPort()),
              ""));
      Process prometheus =
          new ProcessBuilder(
                  "/usr/bin/prometheus",
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + dir.resolve("tsdb"),
                  "--web.listen-address=127.0.0.1:" + port)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
      try {
        String api = "http://127.0.0.1:" + port;
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(() -> get(api + "/-/ready").statusCode() == 200);
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(() -> query(api, "sum(up)").path(0).path("value").path(1).asText().equals("3"));

        // every metric the rules and the dashboard use is among what Prometheus scraped
        TreeSet<String> names = new TreeSet<>();
        for (Path file : new Path[] {RULES, DASHBOARD}) {
          Matcher m = METRIC.matcher(Files.readString(file));
          while (m.find()) {
            names.add(m.group(1));
          }
        }
        for (String name : names) {
          await()
              .atMost(Duration.ofSeconds(20))
              .ignoreExceptions()
              .untilAsserted(
                  () ->
                      assertThat(query(api, "count({__name__=\"" + name + "\"})").size())
                          .as("series named %s", name)
                          .isPositive());
        }
        // the rules are loaded and evaluate without errors
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .untilAsserted(
                () -> {
                  JsonNode groups =
                      JSON.readTree(get(api + "/api/v1/rules").body()).path("data").path("groups");
                  assertThat(groups.size()).isEqualTo(1);
                  for (JsonNode rule : groups.get(0).path("rules")) {
                    assertThat(rule.path("health").asText())
                        .as("rule %s", rule.path("name").asText())
                        .isEqualTo("ok");
                  }
                });

        Commands.publish(
            stack.kafka().bootstrapServers(), stack.registry().url(), "alice", "203.0.113.5");
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(
                () ->
                    query(api, "sum(pop_before_smtp_grants_live)")
                        .path(0)
                        .path("value")
                        .path(1)
                        .asText()
                        .equals("1"));
        System.out.printf(
            "PROMETHEUS: promtool accepted the rules; Prometheus scraped processor, edge and"
                + " ingest; %d metric names used by the rules and the dashboard all present; the"
                + " rules evaluate; a published login showed as 1 live grant%n",
            names.size());
      } finally {
        prometheus.destroy();
        if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly();
        }
      }
    }
  }

  private static String job(String name, int port) {
    return "  - job_name: "
        + name
        + "\n    static_configs:\n      - targets: [\"127.0.0.1:"
        + port
        + "\"]";
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The result vector of an instant query. */
  private JsonNode query(String api, String promql) throws Exception {
    HttpResponse<String> r =
        get(api + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    return JSON.readTree(r.body()).path("data").path("result");
  }
}
