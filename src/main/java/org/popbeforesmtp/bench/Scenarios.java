package org.popbeforesmtp.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleSupplier;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.popbeforesmtp.audit.Audit;
import org.popbeforesmtp.audit.HistoryReader;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.config.StreamsSettings;
import org.popbeforesmtp.edge.EdgeProtocol;
import org.popbeforesmtp.edge.GrantCache;
import org.popbeforesmtp.edge.GrantTable;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.GrantSerdes;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.ingest.LogFollower;
import org.popbeforesmtp.ingest.LogShipper;
import org.popbeforesmtp.ingest.LoginLogParser;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.net.IpPrefix;
import org.popbeforesmtp.registry.AvroDeserializer;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.runtime.DevSchemaRegistry;
import org.popbeforesmtp.runtime.EdgeApp;
import org.popbeforesmtp.runtime.IngestApp;
import org.popbeforesmtp.runtime.ProcessorApp;
import org.popbeforesmtp.runtime.TopicProvisioner;

/** The scenarios of the bench command. */
final class Scenarios {
  private final Bench bench;
  private final boolean quick;

  Scenarios(Bench bench) {
    this.bench = bench;
    this.quick = bench.settings().quick();
  }

  Result run(String name) throws Exception {
    return switch (name) {
      case "processor-throughput" -> processorThroughput();
      case "login-to-edge" -> loginToEdge();
      case "policy-server" -> policyServer();
      case "edge-memory" -> edgeMemory();
      case "audit-replay" -> auditReplay();
      case "tail-agent" -> tailAgent();
      default ->
          throw new IllegalArgumentException(
              "unknown scenario '" + name + "': one of " + Bench.SCENARIOS);
    };
  }

  private static String f0(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String f1(double v) {
    return String.format(Locale.ROOT, "%,.1f", v);
  }

  // ---------------------------------------------------------------- 1. processor throughput

  /**
   * Logins pre-loaded; then, on that backlog, the Kafka Streams yardsticks of {@link Ceilings} and
   * the processor, each reading all of it: events/s until caught up, and per login the state-store
   * writes (changelog records), changelog bytes and output records.
   */
  private Result processorThroughput() throws Exception {
    Result r =
        new Result(
            "processor-throughput",
            "events",
            "addresses",
            "users",
            "what reads the backlog",
            "events/s",
            "processor ÷ it",
            "store writes/login",
            "changelog B/login",
            "out records/login",
            "catch-up s");
    int[] sizes = quick ? new int[] {50_000} : new int[] {100_000, 1_000_000};
    List<String> writesByStore = new ArrayList<>();
    if (!quick) {
      // one unmeasured round on a small backlog: the JIT compiles the processor's own code (the
      // yardsticks' is mostly Kafka's, compiled by whichever runs first), as a long-running
      // processor has it compiled
      int warm = 30_000;
      Topics warmUp = bench.topics("throughput-warm-up", 3);
      bench.produceLogins(warmUp.logins(), warm, 50_000, warm / 4, Bench.Users.HOUSEHOLDS, warm);
      for (Ceilings c : Ceilings.values()) {
        ceiling(c, warmUp, warm);
      }
      processorRun(warmUp, warm, "exactly_once_v2", 1, 1, "100");
    }
    for (int n : sizes) {
      boolean first = n == sizes[0];
      record Mix(int addresses, Bench.Users users) {}
      List<Mix> mixes = new ArrayList<>();
      mixes.add(new Mix(n / 4, Bench.Users.HOUSEHOLDS));
      if (first) {
        mixes.add(new Mix(n / 4, Bench.Users.ANY));
      }
      if (first && !quick) {
        mixes.add(new Mix(n / 40, Bench.Users.HOUSEHOLDS));
      }
      for (Mix mix : mixes) {
        int addresses = mix.addresses();
        Topics topics = bench.topics("throughput", 3);
        double produced =
            bench.produceLogins(topics.logins(), n, 50_000, addresses, mix.users(), n);
        boolean realistic = addresses == n / 4 && mix.users() == Bench.Users.HOUSEHOLDS;
        String users = mix.users() == Bench.Users.HOUSEHOLDS ? "households" : "any user";
        // commit 100 ms: the yardsticks' setting, so the ratio compares like with like; "default"
        // runs with the processor's own default commit interval (shorter, for latency)
        record Variant(
            String label, String guarantee, int threads, int instances, int runs, String commit) {}
        List<Variant> variants = new ArrayList<>();
        Variant primary =
            new Variant("processor", "exactly_once_v2", 1, 1, quick || !realistic ? 1 : 3, "100");
        variants.add(primary);
        if (first && realistic && !quick) {
          variants.add(new Variant("processor, default commit", "exactly_once_v2", 1, 1, 1, null));
          variants.add(new Variant("processor", "at_least_once", 1, 1, 1, "100"));
          variants.add(
              new Variant("processor, 2 stream threads", "exactly_once_v2", 2, 1, 1, "100"));
          variants.add(new Variant("processor, 2 instances", "exactly_once_v2", 1, 2, 1, "100"));
        }
        // rounds of every yardstick then the processor, so that the machine's drift over the
        // minutes of a size touches both alike; the ratio's yardstick is in every round
        EnumMap<Ceilings, List<Run>> yardRuns = new EnumMap<>(Ceilings.class);
        List<Run> primaryRuns = new ArrayList<>();
        for (int round = 0; round < primary.runs(); round++) {
          if (realistic) {
            for (Ceilings c : Ceilings.values()) {
              if (round == 0 || first || c == Ceilings.LEAST_GRANT_PROCESSOR) {
                yardRuns.computeIfAbsent(c, x -> new ArrayList<>()).add(ceiling(c, topics, n));
              }
            }
          }
          primaryRuns.add(
              processorRun(
                  topics,
                  n,
                  primary.guarantee(),
                  primary.threads(),
                  primary.instances(),
                  primary.commit()));
        }
        EnumMap<Ceilings, Double> ceilings = new EnumMap<>(Ceilings.class);
        for (var e : yardRuns.entrySet()) {
          Ceilings c = e.getKey();
          List<Run> runs = e.getValue();
          Stats.Repeated rate = Stats.repeated(runs.stream().mapToDouble(Run::rate).toArray());
          Run run = runs.get(runs.size() - 1);
          ceilings.put(c, rate.median());
          throughputRow(r, n, addresses, users, "Kafka Streams: " + c.label, rate, "", run);
        }
        for (Variant v : variants) {
          double[] rates = new double[v.runs()];
          Run last = null;
          for (int i = 0; i < v.runs(); i++) {
            last =
                v == primary
                    ? primaryRuns.get(i)
                    : processorRun(
                        topics, n, v.guarantee(), v.threads(), v.instances(), v.commit());
            rates[i] = last.rate();
          }
          Stats.Repeated rate = Stats.repeated(rates);
          StringBuilder ratios = new StringBuilder();
          for (Ceilings c :
              List.of(Ceilings.LEAST_GRANT_PROCESSOR, Ceilings.GET_PUT, Ceilings.PASSTHROUGH)) {
            if (ceilings.containsKey(c)) {
              ratios
                  .append(ratios.isEmpty() ? "" : " / ")
                  .append(f2(rate.median() / ceilings.get(c)));
            }
          }
          throughputRow(
              r,
              n,
              addresses,
              users,
              v.label() + ", " + v.guarantee(),
              rate,
              ratios.toString(),
              last);
          r.figure("producerEventsPerSecond", produced);
          r.figure("storeWritesPerLogin", last.writesPerLogin());
          r.figure("changelogBytesPerLogin", last.changelogBytesPerLogin());
          r.figure("outRecordsPerLogin", last.outPerLogin());
          r.figure("liveGrants", last.liveGrants());
          writesByStore.add(
              v.label()
                  + ", "
                  + v.guarantee()
                  + ", "
                  + f0(n)
                  + " events, "
                  + users
                  + ", "
                  + f0(addresses)
                  + " addresses: "
                  + last.writesByStore());
          for (Ceilings c : Ceilings.values()) {
            if (ceilings.containsKey(c)) {
              r.figure("ratioTo_" + c.name(), rate.median() / ceilings.get(c));
            }
          }
        }
      }
    }
    r.note("Store writes per login by store: " + String.join("; ", writesByStore) + ".");
    r.note(
        "Each row reads a backlog of logins (5% failed, addresses repeating within the TTL, dated"
            + " up to 10 min back; users: 'households' = each address has 1-3 mailboxes logging in"
            + " from it and 1 login in 20 is someone else's, 'any user' = every login is by any of"
            + " 50,000 users) on the same broker, 3 partitions, exactly_once_v2"
            + " unless it says otherwise, commit interval 100 ms unless it says 'default commit'"
            + " (the processor's default, "
            + StreamsSettings.COMMIT_INTERVAL.toMillis()
            + " ms), one stream thread unless it says otherwise. Repeated runs alternate: each"
            + " round runs the yardsticks, then the processor; one unmeasured round on 30,000"
            + " logins comes first (JIT warm-up). Rate from the first record processed to the last (start-up excluded),"
            + " from Streams' process-total. 'processor ÷ it' = the processor's rate over the"
            + " yardsticks' on the same backlog: decode+get+put+encode / get+put / passthrough."
            + " Store writes = records its changelogs got (each is one RocksDB write once the"
            + " record cache has collapsed repeated writes of a key); bytes = their keys and values;"
            + " out records = what it wrote to its output topic (relay.grants for the processor).");
    return r;
  }

  /** A processor-throughput row and its rate figures. */
  private static void throughputRow(
      Result r,
      int n,
      int addresses,
      String users,
      String what,
      Stats.Repeated rate,
      String ratios,
      Run run) {
    r.row(
        f0(n),
        f0(addresses),
        users,
        what,
        rate.show("%,.0f"),
        ratios,
        f2(run.writesPerLogin()),
        f0(run.changelogBytesPerLogin()),
        f2(run.outPerLogin()),
        f1(run.seconds()));
    r.figure("eventsPerSecond", rate.median());
    r.figure("eventsPerSecondMin", rate.min());
    r.figure("eventsPerSecondMax", rate.max());
  }

  /** One measured read of the backlog: rate, catch-up time and volumes per login. */
  record Run(
      String writesByStore,
      double rate,
      double seconds,
      double writesPerLogin,
      double changelogBytesPerLogin,
      double outPerLogin,
      double liveGrants) {}

  private Run ceiling(Ceilings c, Topics topics, int n) throws Exception {
    String app =
        "bench-ceiling-" + c.name().toLowerCase(Locale.ROOT).replace('_', '-') + "-" + shortId();
    String out = app + ".out";
    bench.admin.createTopics(List.of(new NewTopic(out, 3, (short) bench.kafka.size()))).all().get();
    TopicProvisioner.awaitServed(bench.admin, List.of(out));
    GrantSerdes serdes = GrantSerdes.of(bench.registry, true);
    Properties props =
        Ceilings.streamsProps(
            app,
            bench.kafka.bootstrapServers(),
            Files.createDirectories(bench.settings().workDir().resolve("state-" + app)).toString(),
            1);
    long t = System.nanoTime();
    double[] rate;
    try (KafkaStreams streams =
        new KafkaStreams(c.topology(topics.logins(), out, serdes, GrantPolicy.defaults()), props)) {
      streams.start();
      rate = catchUp(c.label, () -> processed(List.of(streams)), n, t);
    }
    Bench.Volume changelogs = bench.volume(bench.changelogs(app));
    Bench.Volume output = bench.volume(List.of(out));
    return new Run(
        "",
        rate[0],
        rate[1],
        changelogs.records() / (double) n,
        changelogs.bytes() / (double) n,
        output.records() / (double) n,
        Double.NaN);
  }

  private Run processorRun(
      Topics topics, int n, String guarantee, int threads, int instances, String commitMs)
      throws Exception {
    String app = "bench-" + guarantee.replace('_', '-') + "-" + shortId();
    // each run writes its own relay.grants, so its output can be counted
    Topics own =
        new Topics(topics.logins(), app + ".grants", topics.revocations(), topics.deadLetters());
    Map<String, String> streams = new LinkedHashMap<>();
    streams.put("processing.guarantee", guarantee);
    streams.put("num.stream.threads", Integer.toString(threads));
    if (commitMs != null) {
      streams.put("commit.interval.ms", commitMs);
    }
    List<ProcessorApp> apps = new ArrayList<>();
    long t = System.nanoTime();
    double[] rate;
    double live;
    try {
      for (int i = 0; i < instances; i++) {
        apps.add(bench.processor(own, app, i, Map.of("ttl", "30m"), streams));
      }
      rate =
          catchUp(
              guarantee + (instances > 1 ? ", " + instances + " instances" : ""),
              () -> processed(apps.stream().map(ProcessorApp::streams).toList()),
              n,
              t);
      live = 0;
      for (ProcessorApp p : apps) {
        live += liveGrants(p);
      }
    } finally {
      for (ProcessorApp p : apps) {
        p.close();
      }
    }
    List<String> stores = bench.changelogs(app);
    Bench.Volume changelogs = bench.volume(stores);
    StringBuilder byStore = new StringBuilder();
    for (String changelog : stores) {
      Bench.Volume v = bench.volume(List.of(changelog));
      byStore
          .append(byStore.isEmpty() ? "" : ", ")
          .append(changelog, app.length() + 1, changelog.length() - "-changelog".length())
          .append(' ')
          .append(f2(v.records() / (double) n));
    }
    Bench.Volume output = bench.volume(List.of(own.grants()));
    return new Run(
        byStore.toString(),
        rate[0],
        rate[1],
        changelogs.records() / (double) n,
        changelogs.bytes() / (double) n,
        output.records() / (double) n,
        live);
  }

  /**
   * Waits until {@code processed} reaches {@code n}, printing progress; returns {events/s from the
   * first record processed, seconds since {@code started}}.
   */
  private double[] catchUp(String label, DoubleSupplier processed, int n, long started)
      throws InterruptedException {
    long first = 0;
    double firstDone = 0;
    long nextReport = System.nanoTime() + 5_000_000_000L;
    while (true) {
      double done = processed.getAsDouble();
      if (first == 0 && done > 0) {
        first = System.nanoTime();
        firstDone = done;
      }
      if (System.nanoTime() > nextReport) {
        nextReport += 5_000_000_000L;
        bench.progress(
            String.format(
                Locale.ROOT,
                "  %s: %,.0f of %,d events processed after %.0f s",
                label,
                done,
                n,
                (System.nanoTime() - started) / 1e9));
      }
      if (done >= n) {
        long end = System.nanoTime();
        // from the first record on: start-up (topic checks, rebalance) is not throughput
        return new double[] {
          (n - firstDone) / Math.max(1e-3, (end - first) / 1e9), (end - started) / 1e9
        };
      }
      if (System.nanoTime() - started > Duration.ofMinutes(quick ? 2 : 10).toNanos()) {
        throw new IllegalStateException(label + " did not catch up on " + n + " events in time");
      }
      Thread.sleep(50);
    }
  }

  private static String f2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** Records processed by the stream threads of {@code instances} so far. */
  private static double processed(List<KafkaStreams> instances) {
    double sum = 0;
    for (KafkaStreams streams : instances) {
      for (var e : streams.metrics().entrySet()) {
        if (e.getKey().name().equals("process-total")
            && e.getKey().group().equals("stream-thread-metrics")) {
          sum += ((Number) e.getValue().metricValue()).doubleValue();
        }
      }
    }
    return sum;
  }

  private static double liveGrants(ProcessorApp p) {
    try {
      HttpResponse<String> m =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + p.httpPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      for (String line : m.body().split("\n")) {
        if (line.startsWith("pop_before_smtp_grants_live ")) {
          return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
        }
      }
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return -1;
  }

  // ---------------------------------------------------------------- 2. login to edge

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
    try (ProcessorApp p =
            bench.processor(topics, "bench-latency-" + shortId(), Map.of("ttl", "30m"), Map.of());
        GrantCache edge =
            new GrantCache(
                    bench.client(),
                    topics.grants(),
                    bench.registry,
                    Clock.systemUTC(),
                    Duration.ZERO)
                .start()) {
      awaitReady(p, edge);
      int seconds = quick ? 4 : 10;
      // 10k/s last: it saturates the processor, and its backlog would delay the phases after it
      int[] rates = {1000};
      int base = 10_000_000;
      // warm-up (JIT, RocksDB, connections): 10 s at 500/s, not measured, drained before
      try (LoginPublisher publisher =
          new LoginPublisher(
              bench.client(), topics.logins(), bench.registry, 200_000, Duration.ofMinutes(1))) {
        Probe warm = new Probe(edge);
        fixedRate(
            500,
            quick ? 6 : 10,
            i -> {
              String ip = Bench.address(i);
              warm.expect(ip);
              publisher.submit(event(ip, "warm-" + i));
            });
        warm.finish(Duration.ofSeconds(60));
      }
      for (int rate : rates) {
        try (LoginPublisher publisher =
            new LoginPublisher(
                bench.client(), topics.logins(), bench.registry, 200_000, Duration.ofMinutes(1))) {
          Probe probe = new Probe(edge);
          int start = base;
          Measured m =
              fixedRate(
                  rate,
                  seconds,
                  i -> {
                    String ip = Bench.address(start + i);
                    probe.expect(ip);
                    publisher.submit(event(ip, "lat-" + (start + i)));
                  });
          base += rate * seconds;
          Stats.Percentiles pc = probe.finish(Duration.ofSeconds(30));
          latencyRow(r, "LoginPublisher → edge", rate, pc, m.generatorCpu());
        }
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
        try (LoginPublisher publisher =
            new LoginPublisher(
                bench.client(), topics.logins(), bench.registry, 200_000, Duration.ofMinutes(1))) {
          Probe probe = new Probe(edge);
          int start = base + 1_000_000;
          Measured m =
              fixedRate(
                  10_000,
                  60,
                  i -> {
                    String ip = Bench.address(start + i);
                    probe.expect(ip);
                    publisher.submit(event(ip, "lat-" + (start + i)));
                  });
          Stats.Percentiles pc = probe.finish(Duration.ofSeconds(30));
          latencyRow(r, "LoginPublisher → edge", 10_000, pc, m.generatorCpu());
        }
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

  private static void awaitReady(ProcessorApp p, GrantCache edge) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (p.streams().state() != KafkaStreams.State.RUNNING || !edge.isReady()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("processor or edge not ready within a minute");
      }
      Thread.sleep(50);
    }
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

  // ---------------------------------------------------------------- 3. policy server

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
    EdgeProtocol.all().forEach(p -> e.put(p.port().key(), "0"));
    e.put("http.port", "0");
    return EdgeApp.start(
        EdgeConfig.from(ConfigSources.of(EdgeConfig.SETTINGS, EdgeConfig.DEFAULTS, e, Map.of())));
  }

  /**
   * Writes grants for addresses 0..n-1 of the pool, expiring after {@code ttl}, and waits until
   * Kafka acknowledged every one (failed sends are sent again: a grant is idempotent per key).
   */
  private void produceGrants(String topic, int n, Duration ttl) throws Exception {
    Instant now = Instant.now();
    try (KafkaProducer<String, RelayGrant> producer =
        new KafkaProducer<>(
            producerProps(),
            new StringSerializer(),
            new AvroSerializer<>(RelayGrant.class, bench.registry, true))) {
      List<Integer> todo = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        todo.add(i);
      }
      for (int attempt = 0; !todo.isEmpty(); attempt++) {
        if (attempt == 5) {
          throw new IllegalStateException(todo.size() + " grants not written after 5 attempts");
        }
        List<Future<?>> acks = new ArrayList<>(todo.size());
        for (int i : todo) {
          String ip = Bench.address(i);
          acks.add(
              producer.send(
                  new ProducerRecord<>(
                      topic,
                      ip,
                      RelayGrant.newBuilder()
                          .setKey(ip)
                          .setClientIp(ip)
                          .setUsername("user" + i)
                          .setGrantedAt(now)
                          .setLastEventAt(now)
                          .setExpiresAt(now.plus(ttl))
                          .setEventId("g-" + i)
                          .setProtocol(Protocol.POP3)
                          .setServerId("bench")
                          .setEventCount(1)
                          .build())));
        }
        List<Integer> failed = new ArrayList<>();
        for (int k = 0; k < acks.size(); k++) {
          try {
            acks.get(k).get();
          } catch (ExecutionException e) {
            failed.add(todo.get(k));
          }
        }
        todo = failed;
      }
    }
  }

  private Properties producerProps() {
    Properties p = bench.client();
    // retried batches of an idempotent producer on a loaded one-node broker can fail with
    // OutOfOrderSequence; a compacted grant per key does not need idempotence
    p.put("enable.idempotence", "false");
    p.put("acks", "1");
    p.put("linger.ms", "10");
    p.put("batch.size", Integer.toString(256 * 1024));
    p.put("compression.type", "lz4");
    return p;
  }

  // ---------------------------------------------------------------- 4. edge memory

  private Result edgeMemory() throws Exception {
    Result r = new Result("edge-memory", "grants", "heap bytes/grant", "table bytes/grant", "load");
    // expiries only (policy and socketmap), then with each grant's user (whoson answers +user)
    int[] sizes = quick ? new int[] {1_000_000} : new int[] {1_000_000, 10_000_000};
    for (boolean users : new boolean[] {false, true}) {
      for (int n : users ? new int[] {1_000_000} : sizes) {
        long before = usedHeap();
        GrantTable table = new GrantTable(users);
        long expires = System.currentTimeMillis() + 3_600_000;
        for (int i = 0; i < n; i++) {
          table.put(
              IpPrefix.parse(Bench.address(i)),
              expires,
              users ? "user" + i + "@example.com" : null);
        }
        long after = usedHeap();
        r.row(
            f0(n),
            f1((after - before) / (double) n),
            f1(table.arrayBytes() / (double) n),
            users
                ? "in memory, with usernames (GrantTable.put; whoson on)"
                : "in memory (GrantTable.put)");
        String suffix = users ? "WithUsers" : "";
        r.figure("heapBytesPerGrant" + suffix, (after - before) / (double) n);
        r.figure("tableBytesPerGrant" + suffix, table.arrayBytes() / (double) n);
        if (table.size() != n) {
          throw new IllegalStateException("table holds " + table.size() + " of " + n);
        }
      }
    }
    // cold start: an edge reading a compacted grants topic from the beginning
    int n = quick ? 200_000 : 1_000_000;
    Topics topics = bench.topics("coldstart", 3);
    produceGrants(topics.grants(), n, Duration.ofHours(2));
    double[] runs = new double[quick ? 1 : 3];
    for (int run = 0; run < runs.length; run++) {
      long t = System.nanoTime();
      try (GrantCache cache =
          new GrantCache(
                  bench.client(), topics.grants(), bench.registry, Clock.systemUTC(), Duration.ZERO)
              .start()) {
        while (!cache.isReady()) {
          Thread.sleep(5);
        }
        runs[run] = (System.nanoTime() - t) / 1e9;
        if (cache.size() != n) {
          throw new IllegalStateException("cache holds " + cache.size() + " of " + n);
        }
      }
    }
    Stats.Repeated cold = Stats.repeated(runs);
    r.row(f0(n), "", "", "cold start from relay.grants: " + cold.show("%.2f") + " s");
    r.figure("coldStartSeconds", cold.median());
    r.note(
        "Heap: used heap after full GCs, before and after filling the table (keys: 4 in 5 IPv4"
            + " addresses, 1 in 5 IPv6). Table bytes: the open-addressing arrays' own size. The"
            + " table grows by doubling, so bytes per grant depend on where the count falls.");
    return r;
  }

  private static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ---------------------------------------------------------------- 5. audit replay

  /**
   * Partitions of the topics the processor creates by default: audit reads history as deployments
   * have it (a partition is what one replay thread takes, and what `audit ip` reads).
   */
  private static final int DEFAULT_PARTITIONS =
      Integer.parseInt(ProcessorConfig.DEFAULTS.get("partitions"));

  private Result auditReplay() throws Exception {
    Result r =
        new Result(
            "audit-replay",
            "events",
            "question",
            "records read",
            "seconds",
            "records/s",
            "÷ read + decode");
    int n = quick ? 50_000 : 1_000_000;
    Topics topics = bench.topics("audit", DEFAULT_PARTITIONS);
    double produced =
        produceHistory(
            topics,
            bench.registry,
            n,
            Duration.ofDays(1),
            System.currentTimeMillis() - Duration.ofHours(1).toMillis(),
            5);
    r.note(
        "Day of history: "
            + f0(n)
            + " logins over 24 hours as `import` writes them (record time = event time), "
            + f0(n / 40)
            + " addresses, households; written in "
            + f1(produced)
            + " s.");
    try (HistoryReader reader = new HistoryReader(bench.client(), bench.registry)) {
      int repeats = quick ? 1 : 3;
      List<Integer> threadCounts = List.copyOf(new TreeSet<>(List.of(1, Audit.defaultThreads())));
      // the ceiling: what a plain consumer with the audit's settings does with the same topic.
      // Rounds alternate ceiling and exports (the machine's drift touches both alike), each run
      // starts from a collected heap, and a first round is not measured (the JIT compiles the
      // consumer's and the audit's code in it)
      double[] ceilingRates = new double[repeats];
      double ceilingSecs = 0;
      double[][] exportRates = new double[threadCounts.size()][repeats];
      long[] exportRead = new long[threadCounts.size()];
      double[] exportSecs = new double[threadCounts.size()];
      for (int round = -1; round < repeats; round++) {
        usedHeap();
        long t = System.nanoTime();
        long decoded = readAndDecode(topics.logins(), bench.registry);
        if (round >= 0) {
          ceilingSecs = (System.nanoTime() - t) / 1e9;
          ceilingRates[round] = decoded / ceilingSecs;
        }
        for (int k = 0; k < threadCounts.size(); k++) {
          usedHeap();
          Audit.Report all = replay(reader, topics, new Audit.Everything(), threadCounts.get(k));
          if (round >= 0) {
            exportRates[k][round] = all.rate();
            exportRead[k] = all.read().loginRecords();
            exportSecs[k] = all.elapsedNanos() / 1e9;
          }
        }
      }
      Stats.Repeated ceiling = Stats.repeated(ceilingRates);
      r.row(
          f0(n),
          "plain consumer: read + decode every record",
          f0(n),
          f1(ceilingSecs),
          ceiling.show("%,.0f"),
          "");
      r.figure("readDecodeRecordsPerSecond", ceiling.median());
      for (int k = 0; k < threadCounts.size(); k++) {
        int threads = threadCounts.get(k);
        Stats.Repeated export = Stats.repeated(exportRates[k]);
        r.row(
            f0(n),
            "export (all grants), " + threads + (threads == 1 ? " thread" : " threads"),
            f0(exportRead[k]),
            f1(exportSecs[k]),
            export.show("%,.0f"),
            f2(export.median() / ceiling.median()));
        r.figure("recordsPerSecond_threads" + threads, export.median());
        r.figure("exportRatioToReadDecode_threads" + threads, export.median() / ceiling.median());
      }
      long read = 0;
      double[] ipSecs = new double[repeats];
      for (int i = 0; i < repeats; i++) {
        Audit.Report one =
            replay(reader, topics, new Audit.ForAddress(Bench.address(7)), Audit.defaultThreads());
        ipSecs[i] = one.elapsedNanos() / 1e9;
        read = one.read().loginRecords();
      }
      Stats.Repeated ip = Stats.repeated(ipSecs);
      r.row(
          f0(n),
          "ip, whole history (one partition of " + bench.partitionsOf(topics.logins()) + ")",
          f0(read),
          ip.show("%.2f"),
          f0(read / ip.median()),
          "");
      r.figure("seconds", ip.median());
    }
    if (!quick) {
      auditMonth(r, 10_000_000);
    }
    r.note(
        "Whole topic from its start; the rules of the processor's defaults (TTL 30 min). The"
            + " ceiling is a plain consumer with the audit's consumer settings that reads the same"
            + " topic from its start and decodes every record (the audit's Avro deserializer), in"
            + " the same JVM and run; '÷ read + decode' is the audit's rate over it. Day of"
            + " history: rounds alternate the ceiling and the exports after an unmeasured warm-up"
            + " round, each run from a collected heap.");
    return r;
  }

  /** A replay of the whole topic with the processor's default rules, its output dropped. */
  private static Audit.Report replay(
      HistoryReader reader, Topics topics, Audit.Question question, int threads) {
    return Audit.run(
        reader,
        GrantPolicy.defaults(),
        topics,
        question,
        0L,
        Long.MAX_VALUE,
        System.currentTimeMillis(),
        threads,
        x -> {},
        x -> {},
        (a, b) -> {});
  }

  /**
   * Writes {@code n} logins as `import` writes history (record time = event time), evenly over
   * {@code span} ending at {@code end}, in time order; households over n / 40 addresses. Returns
   * the seconds it took.
   */
  private double produceHistory(
      Topics topics, SchemaRegistryClient registry, int n, Duration span, long end, long seed)
      throws Exception {
    long t = System.nanoTime();
    try (LoginPublisher publisher =
        new LoginPublisher(
            bench.client(),
            topics.logins(),
            registry,
            1,
            Duration.ofMinutes(2),
            LoginPublisher.RecordTime.EVENT)) {
      List<LoginEvent> batch = new ArrayList<>(20_000);
      Iterator<LoginEvent> history = Bench.history(n, span, end, seed);
      for (int i = 0; history.hasNext(); i++) {
        batch.add(history.next());
        if (batch.size() == 20_000) {
          publisher.publishAll(batch);
          batch.clear();
          if (i % 1_000_000 == 999_999) {
            bench.progress("  history: " + f0(i + 1) + " of " + f0(n) + " logins written");
          }
        }
      }
      publisher.publishAll(batch);
    }
    return (System.nanoTime() - t) / 1e9;
  }

  /**
   * Audit on a month of history as `import` writes it (record time = event time): {@code n} logins
   * over 30 days in time order, households over n / 40 addresses. The questions run as the CLI in a
   * JVM of their own, against an HTTP schema registry, timed from process start to exit.
   */
  private void auditMonth(Result r, int n) throws Exception {
    Path dir = Files.createDirectories(bench.settings().workDir().resolve("audit-month"));
    try (DevSchemaRegistry httpRegistry = DevSchemaRegistry.start(dir, "127.0.0.1", 0)) {
      SchemaRegistryClient registry = SerdeConfig.of(httpRegistry.url()).newClient();
      Topics topics = bench.topics("audit-month", DEFAULT_PARTITIONS);
      long span = Duration.ofDays(30).toMillis();
      long end = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
      double produced = produceHistory(topics, registry, n, Duration.ofDays(30), end, 30);
      r.note(
          "Month of history: "
              + f0(n)
              + " logins over 30 days (records stamped with the event time, as `import` writes"
              + " them), "
              + f0(n / 40)
              + " addresses, households; written in "
              + f0(produced)
              + " s. The ip and user questions run as the CLI in a JVM of their own (wall clock"
              + " from process start to exit, JVM start included), with its defaults.");
      usedHeap(); // each run from a collected heap
      long t = System.nanoTime();
      long decoded = readAndDecode(topics.logins(), registry);
      double secs = (System.nanoTime() - t) / 1e9;
      double ceiling = decoded / secs;
      r.row(
          f0(n),
          "month: plain consumer: read + decode every record",
          f0(decoded),
          f1(secs),
          f0(ceiling),
          "");
      r.figure("month_readDecodeRecordsPerSecond", ceiling);
      try (HistoryReader reader = new HistoryReader(bench.client(), registry)) {
        usedHeap();
        Audit.Report all = replay(reader, topics, new Audit.Everything(), Audit.defaultThreads());
        r.row(
            f0(n),
            "month: export (all grants), " + Audit.defaultThreads() + " threads",
            f0(all.read().loginRecords()),
            f1(all.elapsedNanos() / 1e9),
            f0(all.rate()),
            f2(all.rate() / ceiling));
        r.figure("month_exportRecordsPerSecond", all.rate());
      }
      Path config = dir.resolve("audit.properties");
      Files.writeString(
          config,
          "bootstrap.servers="
              + bench.kafka.bootstrapServers()
              + "\nschema.registry.url="
              + httpRegistry.url()
              + "\ntopic.logins="
              + topics.logins()
              + "\ntopic.grants="
              + topics.grants()
              + "\ntopic.revocations="
              + topics.revocations()
              + "\ntopic.dead.letters="
              + topics.deadLetters()
              + "\n");
      Instant at = Instant.ofEpochMilli(end - span / 2);
      List<String> ipAt =
          List.of("--at", at.toString(), "--config", config.toString(), "--format", "json");
      // a class-data archive of the jar (README, "Answering fast"): written by one run, used by
      // the runs after it
      Path archive = dir.resolve("pop-before-smtp.jsa");
      cli(dir, List.of("-XX:ArchiveClassesAtExit=" + archive), "audit", "ip", "10.0.0.1", ipAt);
      List<String> fast = List.of("-XX:SharedArchiveFile=" + archive, "-XX:TieredStopAtLevel=1");
      for (boolean withArchive : new boolean[] {false, true}) {
        double[] ipSecs = new double[3];
        for (int i = 0; i < ipSecs.length; i++) {
          ipSecs[i] =
              cli(dir, withArchive ? fast : List.of(), "audit", "ip", Bench.address(7 + i), ipAt);
        }
        Stats.Repeated ip = Stats.repeated(ipSecs);
        r.row(
            f0(n),
            "month: CLI audit ip X --at T (mid-month)"
                + (withArchive ? ", class-data archive + C1" : ", plain java -jar"),
            "",
            ip.show("%.2f"),
            "",
            "");
        r.figure("month_ipAtSeconds" + (withArchive ? "_archive" : ""), ip.median());
      }
      double user =
          cli(
              dir,
              // the archive only: the quick compiler alone slows a month's replay (87 s vs 50 s)
              List.of("-XX:SharedArchiveFile=" + archive),
              "audit",
              "user",
              "user7",
              List.of("--from=-30d", "--config", config.toString(), "--format", "jsonl"));
      r.row(f0(n), "month: CLI audit user U --from -30d, class-data archive", "", f1(user), "", "");
      r.figure("month_userSeconds", user);
    }
  }

  /**
   * Runs this jar's CLI in a JVM of its own ({@code jvm} options, then {@code command}, {@code
   * subcommand}, {@code target} and {@code options}); returns its wall-clock seconds.
   */
  private double cli(
      Path dir,
      List<String> jvm,
      String command,
      String subcommand,
      String target,
      List<String> options)
      throws Exception {
    List<String> args = new ArrayList<>();
    args.add(ProcessHandle.current().info().command().orElse("java"));
    args.addAll(jvm);
    args.add("-cp");
    args.add(System.getProperty("java.class.path"));
    args.add("org.popbeforesmtp.Main");
    args.add(command);
    args.add(subcommand);
    args.add(target);
    args.addAll(options);
    Path out = dir.resolve("cli-" + subcommand + ".out");
    long t = System.nanoTime();
    Process process =
        new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("audit CLI did not finish in 10 minutes: " + args);
    }
    double secs = (System.nanoTime() - t) / 1e9;
    if (process.exitValue() != 0) {
      throw new IllegalStateException(
          "audit CLI exited with "
              + process.exitValue()
              + ": "
              + args
              + "\n"
              + Files.readString(out));
    }
    return secs;
  }

  /** Reads {@code topic} from its start to its end, decoding every value; returns the count. */
  private long readAndDecode(String topic, SchemaRegistryClient registry) {
    AvroDeserializer<LoginEvent> decoder = new AvroDeserializer<>(LoginEvent.class, registry);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            HistoryReader.consumerProperties(bench.client()),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (var info : consumer.partitionsFor(topic)) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long decoded = 0;
      long events = 0;
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (var record : consumer.poll(Duration.ofMillis(500))) {
          LoginEvent event = decoder.deserialize(topic, record.value());
          events += event.getEventTime() == null ? 0 : 1;
          decoded++;
        }
      }
      if (events != decoded) {
        throw new IllegalStateException("decoded " + decoded + " records, " + events + " events");
      }
      return decoded;
    }
  }

  // ---------------------------------------------------------------- 6. tail agent

  private static final DateTimeFormatter DOVECOT_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private static String dovecotLine(Random random, int i, Instant at) {
    String ip = Bench.address(random.nextInt(5) == 0 ? random.nextInt(1000) : 1000 + i);
    String service = random.nextInt(10) < 7 ? "pop3-login" : "imap-login";
    return DOVECOT_TIME.format(at)
        + " "
        + service
        + ": Info: Login: user=<user"
        + random.nextInt(50_000)
        + ">, method=PLAIN, rip="
        + ip
        + ", lip=192.0.2.1, mpid="
        + (1000 + i)
        + ", session=<s"
        + Integer.toHexString(i)
        + ">\n";
  }

  private Result tailAgent() throws Exception {
    Result r = new Result("tail-agent", "measure", "value");
    int lines = quick ? 100_000 : 1_000_000;
    Path dir = Files.createDirectories(bench.settings().workDir().resolve("tail"));
    Path log = dir.resolve("dovecot.log");
    Random random = new Random(3);
    Instant at = Instant.now().minusSeconds(60);
    try (Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      for (int i = 0; i < lines; i++) {
        w.write(dovecotLine(random, i, at));
        if (i == lines / 2) {
          w.write(DOVECOT_TIME.format(at) + " master: Info: Dovecot v2.3.19 starting up\n");
        }
      }
    }
    Topics topics = bench.topics("tail", 3);
    LoginLogParser parser = new LoginLogParser(ZoneOffset.UTC, Clock.systemUTC());
    double[] rates = new double[quick ? 1 : 3];
    for (int run = 0; run < rates.length; run++) {
      try (LoginPublisher publisher =
              new LoginPublisher(
                  bench.client(), topics.logins(), bench.registry, 1, Duration.ofMinutes(1));
          LogShipper shipper =
              new LogShipper(
                  List.of(new LogFollower(log, dir.resolve("cp-" + run))),
                  parser,
                  publisher,
                  "bench")) {
        long t = System.nanoTime();
        while (shipper.shipOnce() > 0) {
          // each round returns once Kafka acknowledged its batch
        }
        rates[run] = shipper.lines() / ((System.nanoTime() - t) / 1e9);
        if (shipper.logins() != lines) {
          throw new IllegalStateException("shipped " + shipper.logins() + " of " + lines);
        }
      }
    }
    Stats.Repeated rate = Stats.repeated(rates);
    r.row(
        f0(lines) + " lines, file start → last event acknowledged",
        rate.show("%,.0f") + " lines/s");
    r.figure("linesPerSecond", rate.median());

    // append → edge: the agent's loop as `tail` runs it (poll every 200 ms when idle), on fresh
    // topics so the processor has no backlog
    Topics liveTopics = bench.topics("tail-live", 3);
    try (ProcessorApp p =
            bench.processor(liveTopics, "bench-tail-" + shortId(), Map.of("ttl", "30m"), Map.of());
        GrantCache edge =
            new GrantCache(
                    bench.client(),
                    liveTopics.grants(),
                    bench.registry,
                    Clock.systemUTC(),
                    Duration.ZERO)
                .start()) {
      awaitReady(p, edge);
      Path live = dir.resolve("live.log");
      Files.writeString(live, "");
      try (LoginPublisher publisher =
              new LoginPublisher(
                  bench.client(), liveTopics.logins(), bench.registry, 1, Duration.ofMinutes(1));
          LogShipper shipper =
              new LogShipper(
                  List.of(new LogFollower(live, dir.resolve("cp-live"))),
                  parser,
                  publisher,
                  "bench")) {
        AtomicBoolean running = new AtomicBoolean(true);
        long[] agentCpu = new long[1];
        Thread agent =
            new Thread(
                () -> {
                  ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                  while (running.get()) {
                    try {
                      if (shipper.shipOnce() == 0) {
                        Thread.sleep(200);
                      }
                    } catch (InterruptedException e) {
                      return;
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                    agentCpu[0] = mx.getCurrentThreadCpuTime();
                  }
                },
                "bench-tail-agent");
        agent.start();
        // idle CPU of the agent over a quiet period
        Thread.sleep(1000);
        long cpu0 = agentCpu[0];
        Thread.sleep(quick ? 3000 : 10_000);
        double idle = (agentCpu[0] - cpu0) / ((quick ? 3000 : 10_000) * 1e6);
        int samples = quick ? 10 : 20;
        for (boolean busy : new boolean[] {false, true}) {
          AtomicBoolean noise = new AtomicBoolean(busy);
          Thread writer =
              new Thread(
                  () -> {
                    // a busy log: 2,000 unrelated lines a second around the measured ones
                    while (noise.get()) {
                      append(
                          live,
                          DOVECOT_TIME.format(Instant.now())
                              + " pop3(user): Info: Disconnected: Logged out top=0/0, retr=1/512, del=0/1, size=512\n"
                                  .repeat(20));
                      LockSupport.parkNanos(10_000_000);
                    }
                  },
                  "bench-noise");
          writer.start();
          long[] lat = new long[samples];
          for (int i = 0; i < samples; i++) {
            String ip = Bench.address(5_000_000 + i + (busy ? 100 : 0));
            long t = System.nanoTime();
            append(
                live,
                DOVECOT_TIME.format(Instant.now())
                    + " pop3-login: Info: Login: user=<probe>, method=PLAIN, rip="
                    + ip
                    + ", lip=192.0.2.1, mpid=1, session=<p"
                    + i
                    + (busy ? "b" : "q")
                    + ">\n");
            while (!edge.check(ip).granted()) {
              if (System.nanoTime() - t > Duration.ofSeconds(30).toNanos()) {
                throw new IllegalStateException("line for " + ip + " never reached the edge");
              }
              LockSupport.parkNanos(200_000);
            }
            lat[i] = System.nanoTime() - t;
            Thread.sleep(150 + random.nextInt(200));
          }
          noise.set(false);
          writer.join();
          Stats.Percentiles pc = Stats.percentiles(lat, samples);
          r.row(
              "append one line → grant at the edge, " + (busy ? "busy log" : "quiet log"),
              String.format(
                  Locale.ROOT,
                  "median %.0f ms (max %.0f ms, %d samples)",
                  pc.p50() / 1e6,
                  pc.max() / 1e6,
                  samples));
          r.figure("medianMs", pc.p50() / 1e6);
        }
        running.set(false);
        agent.join(5000);
        r.row(
            "agent CPU while the log is quiet",
            String.format(Locale.ROOT, "%.2f%% of a core", idle * 100));
        r.figure("idleCpu", idle);
      }
    }
    r.note(
        "Log: "
            + f0(lines)
            + " Dovecot login lines (70% pop3-login, 30% imap-login, 20% repeat addresses, one"
            + " unrelated line half-way). The agent polls every 200 ms when it found nothing.");
    return r;
  }

  private static void append(Path file, String text) {
    try {
      Files.writeString(file, text, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
