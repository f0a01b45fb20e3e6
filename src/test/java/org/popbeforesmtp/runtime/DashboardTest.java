package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class DashboardTest {
  @Test
  void statsAreOurMetersWithoutThePrefixAndTheReasonAsASuffix() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Gauge.builder("pop_before_smtp_grants_live", () -> 7).register(registry);
    FunctionCounter.builder("pop_before_smtp_logins_refused", this, x -> 3)
        .tag("reason", "shared-address")
        .register(registry);
    Gauge.builder("jvm_other", () -> 1).register(registry);

    assertThat(Dashboard.stats(registry))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("grants_live", 7.0, "logins_refused.shared-address", 3.0));
  }

  @Test
  void instancesAddUpAndTheWorstLagAndReachabilityStandForTheGroup() throws Exception {
    Map<String, Double> stats =
        new TreeMap<>(
            Map.of(
                "grants_live", 10.0,
                "logins_read", 100.0,
                "expiry_lag_max_ms", 5.0,
                "consumer_lag_max", 2.0,
                "kafka_reachable", 1.0,
                "ready", 1.0));
    Dashboard.merge(
        stats,
        new ObjectMapper()
            .readTree(
                "{\"grants_live\":4,\"logins_read\":50,\"expiry_lag_max_ms\":900,"
                    + "\"consumer_lag_max\":1,\"kafka_reachable\":0,\"ready\":0,\"dead_letters\":2}"));

    assertThat(stats)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "grants_live", 14.0,
                "logins_read", 150.0,
                "expiry_lag_max_ms", 900.0,
                "consumer_lag_max", 2.0,
                "kafka_reachable", 0.0,
                "ready", 1.0,
                "dead_letters", 2.0));
  }
}
