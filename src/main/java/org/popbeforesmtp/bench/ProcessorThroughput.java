package org.popbeforesmtp.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.DoubleSupplier;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;
import org.popbeforesmtp.config.StreamsSettings;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.GrantSerdes;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.runtime.ProcessorApp;
import org.popbeforesmtp.runtime.TopicProvisioner;

/** The bench scenario {@code processor-throughput}. */
final class ProcessorThroughput extends Scenario {
  ProcessorThroughput(Bench bench) {
    super(bench);
  }

  @Override
  Result run() throws Exception {
    return processorThroughput();
  }

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
}
