package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.testing.KafkaBroker;
import org.popbeforesmtp.testing.ProcessorFixture;
import org.popbeforesmtp.testing.TestEvents;

/** Two processor instances on a 4-partition topic: any instance answers any IP; failover. */
@ExtendWith(KafkaBroker.class)
class TwoInstancesIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void shouldAnswerEveryIpOnBothInstancesAndSurviveTheLossOfOne() throws Exception {
    List<String> ips = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      ips.add("192.0.2." + i);
    }
    try (ProcessorFixture f = new ProcessorFixture()) {
      Map<String, String> settings = Map.of("partitions", "4");
      ProcessorApp a = ProcessorApp.start(f.config(dir.resolve("a"), settings));
      ProcessorApp b = ProcessorApp.start(f.config(dir.resolve("b"), settings));
      try {
        await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () ->
                    a.streams().state() == KafkaStreams.State.RUNNING
                        && b.streams().state() == KafkaStreams.State.RUNNING);
        for (String ip : ips) {
          f.send(TestEvents.login(Instant.now()).setClientIp(ip).build());
        }
        for (ProcessorApp app : List.of(a, b)) {
          await()
              .atMost(Duration.ofSeconds(30))
              .untilAsserted(
                  () -> assertThat(answered(f, app, ips)).containsExactlyInAnyOrderElementsOf(ips));
        }
        Set<String> servedBy = new HashSet<>();
        for (String ip : ips) {
          servedBy.add(
              f.get(a.httpPort(), "/v1/grants/" + ip)
                  .headers()
                  .firstValue("X-Served-By")
                  .orElse(""));
        }
        assertThat(servedBy)
            .as("some answers were forwarded to the other instance")
            .hasSizeGreaterThan(1);
        assertThat(f.get(a.httpPort(), "/v1/grants/192.0.2.200").statusCode()).isEqualTo(404);
        HttpResponse<String> alice = f.get(a.httpPort(), "/v1/grants?user=alice");
        assertThat(alice.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(alice.body()).get("grants")).as("gathered from both").hasSize(20);
        // the dashboard's numbers are the group's: both instances, their live grants summed
        JsonNode stats = JSON.readTree(f.get(b.httpPort(), "/v1/stats").body());
        assertThat(stats.get("instances").asInt()).isEqualTo(2);
        assertThat(stats.has("incomplete")).isFalse();
        assertThat(stats.get("stats").get("grants_live").asDouble()).isEqualTo(20.0);
        assertThat(stats.get("stats").get("ready").asDouble()).isEqualTo(2.0);

        long stopped = System.nanoTime();
        b.close();
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .untilAsserted(
                () -> assertThat(answered(f, a, ips)).containsExactlyInAnyOrderElementsOf(ips));
        long failoverMs = (System.nanoTime() - stopped) / 1_000_000;
        System.out.println(
            "FAILOVER: survivor answered all "
                + ips.size()
                + " IPs "
                + failoverMs
                + " ms after the other instance stopped");
      } finally {
        b.close();
        a.close();
      }
    }
  }

  /** The IPs an instance answers with 200 and the right key. */
  private static List<String> answered(ProcessorFixture f, ProcessorApp app, List<String> ips)
      throws Exception {
    List<String> ok = new ArrayList<>();
    for (String ip : ips) {
      HttpResponse<String> r = f.get(app.httpPort(), "/v1/grants/" + ip);
      if (r.statusCode() == 200 && JSON.readTree(r.body()).get("key").asText().equals(ip)) {
        ok.add(ip);
      }
    }
    return ok;
  }
}
