package org.popbeforesmtp.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.popbeforesmtp.audit.Audit;
import org.popbeforesmtp.audit.HistoryReader;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.registry.AvroDeserializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.runtime.DevSchemaRegistry;

/** The bench scenario {@code audit-replay}. */
final class AuditReplayRates extends Scenario {
  AuditReplayRates(Bench bench) {
    super(bench);
  }

  @Override
  Result run() throws Exception {
    return auditReplay();
  }

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
        bench.progress(
            "  day, "
                + threads
                + (threads == 1 ? " thread: " : " threads: ")
                + export.show("%,.0f")
                + " logins/s, "
                + f2(export.median() / ceiling.median())
                + " × read + decode ("
                + ceiling.show("%,.0f")
                + "/s)");
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
}
