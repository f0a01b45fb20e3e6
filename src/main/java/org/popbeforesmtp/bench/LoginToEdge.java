package org.popbeforesmtp.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.config.StreamsSettings;
import org.popbeforesmtp.edge.GrantCache;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.runtime.IngestApp;

/** The bench scenario {@code login-to-edge}. */
final class LoginToEdge extends Scenario {
  LoginToEdge(Bench bench) {
    super(bench);
  }

  @Override
  Result run() throws Exception {
    return loginToEdge();
  }

  /** Publish at a fixed rate; per event the time until the edge cache holds its grant. */
  private Result loginToEdge() throws Exception {
    Result r =
        new Result(
            "login-to-edge",
            "path",
            "rate/s",
            "events",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms",
            "generator CPU");
    Topics topics = bench.topics("latency", 3);
    try (Pipeline pipeline = pipeline(topics, "bench-latency")) {
      GrantCache edge = pipeline.edge();
      int seconds = quick ? 4 : 10;
      // 10k/s last: it saturates the processor, and its backlog would delay the phases after it
      int[] rates = {1000};
      int base = 10_000_000;
      // warm-up (JIT, RocksDB, connections): 10 s at 500/s, not measured, drained before
      published(topics, edge, 500, quick ? 6 : 10, 0, "warm-", Duration.ofSeconds(60));
      for (int rate : rates) {
        Timed t = published(topics, edge, rate, seconds, base, "lat-", Duration.ofSeconds(30));
        base += rate * seconds;
        latencyRow(r, "LoginPublisher → edge", rate, t.latency(), t.generatorCpu());
      }
      // via the Dovecot ingest endpoint: HTTP report → edge
      try (IngestApp ingest = ingest(topics)) {
        int rate = quick ? 200 : 2000;
        int reportSeconds = quick ? 4 : 20;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri =
            URI.create(
                "http://127.0.0.1:" + ingest.httpPort() + "/v1/dovecot-policy?command=report");
        Probe probe = new Probe(edge);
        int start = base;
        // like Dovecot's auth processes: many keep-alive connections, one request at a time on
        // each; sent asynchronously so the generator keeps its rate (at most 128 in flight)
        int connections = 128;
        Semaphore inFlight = new Semaphore(connections);
        AtomicInteger failed = new AtomicInteger();
        Measured m =
            fixedRate(
                rate,
                reportSeconds,
                i -> {
                  String ip = Bench.address(start + i);
                  probe.expect(ip);
                  HttpRequest request =
                      HttpRequest.newBuilder(uri)
                          .POST(
                              HttpRequest.BodyPublishers.ofString(
                                  "{\"login\":\"u"
                                      + i
                                      + "\",\"remote\":\""
                                      + ip
                                      + "\",\"protocol\":\"pop3\",\"success\":true,"
                                      + "\"session_id\":\"s"
                                      + (start + i)
                                      + "\"}"))
                          .build();
                  inFlight.acquire();
                  http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                      .whenComplete(
                          (response, e) -> {
                            if (e != null || response.statusCode() != 200) {
                              failed.incrementAndGet(); // the probe counts it as missing too
                            }
                            inFlight.release();
                          });
                });
        if (!inFlight.tryAcquire(connections, 30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("Dovecot reports still unanswered after 30 s");
        }
        base += rate * reportSeconds;
        Stats.Percentiles pc = probe.finish(Duration.ofSeconds(30));
        latencyRow(r, "Dovecot HTTP report → edge", rate, pc, m.generatorCpu());
        r.figure("failedReports", failed.get());
      }
      if (!quick) {
        Timed t =
            published(topics, edge, 10_000, 60, base + 1_000_000, "lat-", Duration.ofSeconds(30));
        latencyRow(r, "LoginPublisher → edge", 10_000, t.latency(), t.generatorCpu());
      }
    }

    r.note(
        "Per event: from the moment it is handed to the publisher (or the HTTP request is sent)"
            + " until GrantCache.check(ip) says granted, probed every millisecond. Processor with"
            + " exactly_once_v2 and its default commit interval ("
            + StreamsSettings.COMMIT_INTERVAL.toMillis()
            + " ms: a grant becomes visible to read_committed readers at the transaction commit);"
            + " edge fetch.max.wait.ms 100, publisher linger 5 ms. Dovecot reports: asynchronous"
            + " HTTP/1.1 at a fixed rate, at most 128 in flight.");
    return r;
  }

  /** Per event the time until the edge granted it, and the generator's share of a core. */
  record Timed(Stats.Percentiles latency, double generatorCpu) {}

  /**
   * Publishes logins of the addresses from {@code first} on at {@code rate} for {@code seconds}
   * (event ids {@code id} + address number) and waits up to {@code wait} for the edge to grant them
   * all.
   */
  private Timed published(
      Topics topics, GrantCache edge, int rate, int seconds, int first, String id, Duration wait)
      throws Exception {
    try (LoginPublisher publisher =
        new LoginPublisher(
            bench.client(), topics.logins(), bench.registry, 200_000, Duration.ofMinutes(1))) {
      Probe probe = new Probe(edge);
      Measured m =
          fixedRate(
              rate,
              seconds,
              i -> {
                String ip = Bench.address(first + i);
                probe.expect(ip);
                publisher.submit(event(ip, id + (first + i)));
              });
      return new Timed(probe.finish(wait), m.generatorCpu());
    }
  }

  private static void latencyRow(
      Result r, String path, int rate, Stats.Percentiles pc, double cpu) {
    r.row(
        path,
        f0(rate),
        f0(pc.count()),
        f1(pc.p50() / 1e6),
        f1(pc.p99() / 1e6),
        f1(pc.p999() / 1e6),
        f1(pc.max() / 1e6),
        String.format(Locale.ROOT, "%.0f%%", cpu * 100));
    r.figure("p50Ms", pc.p50() / 1e6);
    r.figure("p99Ms", pc.p99() / 1e6);
    r.figure("p999Ms", pc.p999() / 1e6);
    r.figure("maxMs", pc.max() / 1e6);
    r.figure("generatorCpu", cpu);
  }

  private static LoginEvent event(String ip, String id) {
    return LoginEvent.newBuilder()
        .setEventId(id)
        .setEventTime(Instant.now())
        .setClientIp(ip)
        .setUsername("bench")
        .setProtocol(Protocol.POP3)
        .setKind(LoginKind.LOGIN)
        .setOutcome(Outcome.SUCCESS)
        .setServerId("bench")
        .setSource("bench")
        .setSessionId(null)
        .build();
  }

  private IngestApp ingest(Topics topics) throws InterruptedException {
    Map<String, String> i = new LinkedHashMap<>();
    i.put("bootstrap.servers", bench.kafka.bootstrapServers());
    i.put("schema.registry.url", bench.registryUrl);
    i.put("http.port", "0");
    i.put("server.id", "bench");
    i.put("topic.logins", topics.logins());
    return IngestApp.start(
        IngestConfig.from(
            ConfigSources.of(IngestConfig.SETTINGS, IngestConfig.DEFAULTS, i, Map.of())));
  }

  /** Watches the edge for expected addresses and records how long each took to appear. */
  static final class Probe {
    private final GrantCache edge;
    private final Map<String, Long> pending = new ConcurrentHashMap<>();
    private final long[] latencies = new long[2_000_000];
    private int count;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Probe(GrantCache edge) {
      this.edge = edge;
      this.thread = new Thread(this::loop, "bench-probe");
      thread.setDaemon(true);
      thread.start();
    }

    void expect(String ip) {
      pending.put(ip, System.nanoTime());
    }

    private void loop() {
      while (running.get() || !pending.isEmpty()) {
        Iterator<Map.Entry<String, Long>> it = pending.entrySet().iterator();
        while (it.hasNext()) {
          Map.Entry<String, Long> e = it.next();
          if (edge.check(e.getKey()).granted()) {
            long now = System.nanoTime();
            synchronized (this) {
              if (count < latencies.length) {
                latencies[count++] = now - e.getValue();
              }
            }
            it.remove();
          }
        }
        LockSupport.parkNanos(1_000_000);
      }
    }

    Stats.Percentiles finish(Duration wait) throws InterruptedException {
      long deadline = System.nanoTime() + wait.toNanos();
      while (!pending.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      running.set(false);
      pending.clear();
      thread.join(5000);
      synchronized (this) {
        return Stats.percentiles(latencies, count);
      }
    }
  }

  interface Action {
    void run(int i) throws Exception;
  }

  record Measured(int sent, double generatorCpu) {}

  /** Calls {@code action} {@code rate} times a second for {@code seconds}, paced by the clock. */
  static Measured fixedRate(int rate, int seconds, Action action) throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long cpu0 = mx.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    int total = rate * seconds;
    for (int i = 0; i < total; i++) {
      long due = t0 + (long) i * 1_000_000_000L / rate;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      action.run(i);
    }
    double wall = System.nanoTime() - t0;
    return new Measured(total, (mx.getCurrentThreadCpuTime() - cpu0) / wall);
  }
}
