package org.popbeforesmtp.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.edge.EdgeProtocol;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.runtime.EdgeApp;

/** The bench scenario {@code policy-server}. */
final class PolicyServer extends Scenario {
  PolicyServer(Bench bench) {
    super(bench);
  }

  @Override
  Result run() throws Exception {
    return policyServer();
  }

  private Result policyServer() throws Exception {
    Result r =
        new Result(
            "policy-server",
            "protocol",
            "connections",
            "requests/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms",
            "generator CPU");
    Topics topics = bench.topics("policy", 3);
    int grants = quick ? 20_000 : 100_000;
    produceGrants(topics.grants(), grants, Duration.ofHours(2));
    try (EdgeApp edge = edge(topics)) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!edge.cache().isReady() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      int seconds = quick ? 2 : 8;
      for (PolicyLoad.Protocol protocol : PolicyLoad.Protocol.values()) {
        for (int k : new int[] {10, 100, 1000}) {
          PolicyLoad.Measured o =
              PolicyLoad.run(
                  protocol, edge.port(protocol.edgeName), k, Duration.ofSeconds(seconds), grants);
          Stats.Percentiles pc = o.latencies();
          r.row(
              protocol.name().toLowerCase(Locale.ROOT),
              f0(k),
              f0(o.requestsPerSecond()),
              String.format(Locale.ROOT, "%.3f", pc.p50() / 1e6),
              String.format(Locale.ROOT, "%.3f", pc.p99() / 1e6),
              String.format(Locale.ROOT, "%.3f", pc.p999() / 1e6),
              f1(pc.max() / 1e6),
              String.format(Locale.ROOT, "%.0f%%", o.generatorCpu() * 100));
          r.figure("requestsPerSecond", o.requestsPerSecond());
          r.figure("p50Ms", pc.p50() / 1e6);
          r.figure("p99Ms", pc.p99() / 1e6);
          r.figure("p999Ms", pc.p999() / 1e6);
          r.figure("errors", o.errors());
          if (o.wrongAnswers() > 0) {
            throw new IllegalStateException(o.wrongAnswers() + " wrong answers from the edge");
          }
        }
      }
    }
    r.note(
        "Closed loop: each connection sends its next request when the answer arrives (like"
            + " smtpd), half for granted addresses, half not; every answer is checked. One Netty"
            + " client event loop; the edge uses two. "
            + grants
            + " grants in the cache.");
    return r;
  }

  private EdgeApp edge(Topics topics) throws InterruptedException {
    Map<String, String> e = new LinkedHashMap<>();
    e.put("bootstrap.servers", bench.kafka.bootstrapServers());
    e.put("schema.registry.url", bench.registryUrl);
    e.put("topic.grants", topics.grants());
    EdgeProtocol.all().forEach(p -> e.put(p.port().name(), "0"));
    e.put("http.port", "0");
    return EdgeApp.start(
        EdgeConfig.from(ConfigSources.of(EdgeConfig.SETTINGS, EdgeConfig.DEFAULTS, e, Map.of())));
  }
}
