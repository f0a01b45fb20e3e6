package org.popbeforesmtp.bench;

import java.io.IOException;
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
  /** bin/pop-before-smtp of this checkout, or null: the rows through it are left out then. */
  private final Path launcher = launcher();

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
    Path dir = Files.createDirectories(bench.settings().workDir().resolve("audit-replay"));
    // an HTTP registry, so that the audits and yardsticks in JVMs of their own can read the topics
    try (DevSchemaRegistry httpRegistry = DevSchemaRegistry.start(dir, "127.0.0.1", 0);
        SchemaRegistryClient registry = SerdeConfig.of(httpRegistry.url()).newClient()) {
      auditDay(r, n, dir, httpRegistry.url(), registry);
      if (!quick) {
        auditMonth(r, 10_000_000, dir, httpRegistry.url(), registry);
      }
    }
    if (launcher == null) {
      r.note("bin/pop-before-smtp not found next to the jar's directory: no launcher rows.");
    }
    r.note(
        "Whole topic from its start; the rules of the processor's defaults (TTL 30 min). The"
            + " ceiling is a plain consumer with the audit's consumer settings that reads the same"
            + " topic from its start and decodes every record (the audit's Avro deserializer), in"
            + " the same JVM and run; '÷ read + decode' is the audit's rate over it. Day of"
            + " history: rounds alternate the ceiling and the exports after an unmeasured warm-up"
            + " round, each run from a collected heap. 'own JVM' rows run as the CLI does, each in"
            + " a JVM of its own timed from process start to exit (JVM start included), rounds"
            + " alternating: issue 14's yardstick (a plain consumer decoding with Avro's generic"
            + " reader, fresh JVM) and `audit export --format csv` to a file, as `java -jar` and"
            + " through bin/pop-before-smtp (after a first, unmeasured export that writes its"
            + " class-data archive).");
    return r;
  }

  /** The day of history: in-JVM rates against the ceiling, then the CLI against the yardstick. */
  private void auditDay(
      Result r, int n, Path dir, String registryUrl, SchemaRegistryClient registry)
      throws Exception {
    Topics topics = bench.topics("audit", DEFAULT_PARTITIONS);
    double produced =
        produceHistory(
            topics,
            registry,
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
    int repeats = quick ? 1 : 3;
    try (HistoryReader reader = new HistoryReader(bench.client(), registry)) {
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
        long decoded = readAndDecode(topics.logins(), registry);
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
    Path config = clusterConfig(dir.resolve("audit-day.properties"), registryUrl, topics);
    Path cds = Files.createDirectories(dir.resolve("cds"));
    if (launcher != null) {
      export(dir, config, "--from=-3d", cds); // its first question writes the archive
    }
    double[] yardstick = new double[repeats];
    double[] export = new double[repeats];
    double[] launched = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      yardstick[i] =
          ownJvm(dir, PlainConsumer.class.getName(), List.of(config.toString(), topics.logins()));
      export[i] = export(dir, config, "--from=-3d", null);
      if (launcher != null) {
        launched[i] = export(dir, config, "--from=-3d", cds);
      }
    }
    Stats.Repeated plain = Stats.repeated(yardstick);
    r.row(
        f0(n),
        "own JVM: plain consumer, Avro generic decoding (issue 14's yardstick)",
        f0(n),
        plain.show("%.2f"),
        f0(n / plain.median()),
        "");
    r.figure("ownJvm_plainConsumerSeconds", plain.median());
    String progress =
        "  day, own JVM: plain consumer (generic decoding) " + plain.show("%.2f") + " s";
    for (boolean throughLauncher : new boolean[] {false, true}) {
      if (throughLauncher && launcher == null) {
        continue;
      }
      Stats.Repeated cli = Stats.repeated(throughLauncher ? launched : export);
      String suffix = throughLauncher ? "_launcher" : "";
      r.row(
          f0(n),
          (throughLauncher ? "own JVM: bin/pop-before-smtp" : "own JVM: CLI (java -jar)")
              + " audit export --format csv to a file, "
              + Audit.defaultThreads()
              + " threads",
          f0(n),
          cli.show("%.2f"),
          f0(n / cli.median()),
          f2(plain.median() / cli.median()));
      r.figure("ownJvm_exportSeconds" + suffix, cli.median());
      r.figure("ownJvm_exportRatioToPlainConsumer" + suffix, plain.median() / cli.median());
      progress +=
          (throughLauncher ? ", bin/pop-before-smtp audit export " : ", java -jar audit export ")
              + cli.show("%.2f")
              + " s: "
              + f2(plain.median() / cli.median());
    }
    bench.progress(progress);
  }

  /**
   * Runs the CLI's {@code audit export --format csv} of the topics in {@code config} from {@code
   * from} to a file, in a JVM of its own ({@link #cli}); returns its wall-clock seconds.
   */
  private double export(Path dir, Path config, String from, Path cds) throws Exception {
    return cli(
        dir,
        cds,
        List.of(
            "audit",
            "export",
            from,
            "--format",
            "csv",
            "--output",
            dir.resolve("export.csv").toString(),
            "--config",
            config.toString()));
  }

  /** A config file for the CLI and the yardstick: the bench's broker, the registry, the topics. */
  private Path clusterConfig(Path file, String registryUrl, Topics topics) throws IOException {
    return Files.writeString(
        file,
        "bootstrap.servers="
            + bench.kafka.bootstrapServers()
            + "\nschema.registry.url="
            + registryUrl
            + "\ntopic.logins="
            + topics.logins()
            + "\ntopic.grants="
            + topics.grants()
            + "\ntopic.revocations="
            + topics.revocations()
            + "\ntopic.dead.letters="
            + topics.deadLetters()
            + "\n");
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
  private void auditMonth(
      Result r, int n, Path dir, String registryUrl, SchemaRegistryClient registry)
      throws Exception {
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
            + " from process start to exit, JVM start included), with its defaults: as `java"
            + " -jar`, and through bin/pop-before-smtp, which starts audit questions from a"
            + " class-data archive of the jar that its first question writes, on the throughput"
            + " collector (and a point question on the quick compiler).");
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
    Path config = clusterConfig(dir.resolve("audit-month.properties"), registryUrl, topics);
    Instant at = Instant.ofEpochMilli(end - span / 2);
    List<String> ipAt =
        List.of("--at", at.toString(), "--config", config.toString(), "--format", "json");
    Stats.Repeated plain = ipAnswers(dir, null, ipAt);
    r.row(
        f0(n),
        "month: CLI audit ip X --at T (mid-month), java -jar",
        "",
        plain.show("%.2f"),
        "",
        "");
    r.figure("month_ipAtSeconds", plain.median());
    Path cds = Files.createDirectories(dir.resolve("cds-month")); // its own: a first question
    if (launcher != null) {
      // the launcher (README, "Answering fast"): its first question writes the class-data
      // archive, the questions after start from it
      double first = cli(dir, cds, question("ip", Bench.address(6), ipAt));
      r.row(
          f0(n),
          "month: bin/pop-before-smtp audit ip X --at T, first question (writes the archive)",
          "",
          f2(first),
          "",
          "");
      r.figure("month_ipAtSeconds_launcherFirst", first);
      Stats.Repeated ip = ipAnswers(dir, cds, ipAt);
      r.row(
          f0(n),
          "month: bin/pop-before-smtp audit ip X --at T (archive, quick compiler, ParallelGC)",
          "",
          ip.show("%.2f"),
          "",
          "");
      r.figure("month_ipAtSeconds_launcher", ip.median());
      bench.progress(
          "  month, audit ip --at: java -jar "
              + plain.show("%.2f")
              + " s, bin/pop-before-smtp "
              + ip.show("%.2f")
              + " s (first question "
              + f2(first)
              + " s)");
      double user =
          cli(
              dir,
              cds,
              question(
                  "user",
                  "user7",
                  List.of("--from=-30d", "--config", config.toString(), "--format", "jsonl")));
      r.row(f0(n), "month: bin/pop-before-smtp audit user U --from -30d", "", f1(user), "", "");
      r.figure("month_userSeconds", user);
    }
    double export = export(dir, config, "--from=-31d", null);
    r.row(
        f0(n),
        "month: CLI (java -jar) audit export --format csv to a file",
        f0(n),
        f1(export),
        f0(n / export),
        "");
    r.figure("month_ownJvm_exportSeconds", export);
    if (launcher != null) {
      double launched = export(dir, config, "--from=-31d", cds);
      r.row(
          f0(n),
          "month: bin/pop-before-smtp audit export --format csv to a file",
          f0(n),
          f1(launched),
          f0(n / launched),
          "");
      r.figure("month_ownJvm_exportSeconds_launcher", launched);
    }
  }

  /** Three {@code audit ip} questions about three addresses, each timed ({@link #cli}). */
  private Stats.Repeated ipAnswers(Path dir, Path cds, List<String> options) throws Exception {
    double[] secs = new double[3];
    for (int i = 0; i < secs.length; i++) {
      secs[i] = cli(dir, cds, question("ip", Bench.address(7 + i), options));
    }
    return Stats.repeated(secs);
  }

  /** {@code audit <subcommand> <target> <options>}. */
  private static List<String> question(String subcommand, String target, List<String> options) {
    List<String> args = new ArrayList<>(List.of("audit", subcommand, target));
    args.addAll(options);
    return args;
  }

  /**
   * Runs this jar's CLI with {@code args} in a JVM of its own: as {@code java -jar} when {@code
   * cds} is null, else through the launcher on this jar with this JVM, its archives in {@code cds};
   * returns its wall-clock seconds.
   */
  private double cli(Path dir, Path cds, List<String> args) throws Exception {
    if (cds == null) {
      return ownJvm(dir, "org.popbeforesmtp.Main", args);
    }
    List<String> command = new ArrayList<>(List.of(launcher.toString()));
    command.addAll(args);
    return timed(
        dir,
        command,
        Map.of(
            "PBS_JAR", System.getProperty("java.class.path"),
            "JAVA_HOME", System.getProperty("java.home"),
            "PBS_CDS_DIR", cds.toString()));
  }

  /**
   * bin/pop-before-smtp of this checkout: next to the directory of the jar this runs from
   * (target/), or null.
   */
  private static Path launcher() {
    Path jar = Path.of(System.getProperty("java.class.path")).toAbsolutePath();
    if (jar.getParent() == null || !jar.toString().endsWith(".jar")) {
      return null;
    }
    Path script = jar.getParent().resolveSibling("bin").resolve("pop-before-smtp");
    return Files.isExecutable(script) ? script : null;
  }

  /**
   * Runs {@code mainClass} of this jar with {@code args} in a JVM of its own; returns its
   * wall-clock seconds from process start to exit.
   */
  private double ownJvm(Path dir, String mainClass, List<String> args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    return timed(dir, command, Map.of());
  }

  /**
   * Runs {@code command} with {@code env} added to this process's environment; returns its
   * wall-clock seconds from process start to exit.
   */
  private static double timed(Path dir, List<String> command, Map<String, String> env)
      throws Exception {
    Path out = dir.resolve("own-jvm.out");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    builder.environment().putAll(env);
    long t = System.nanoTime();
    Process process = builder.start();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("did not finish in 10 minutes: " + command);
    }
    double secs = (System.nanoTime() - t) / 1e9;
    if (process.exitValue() != 0) {
      throw new IllegalStateException(
          "exited with " + process.exitValue() + ": " + command + "\n" + Files.readString(out));
    }
    return secs;
  }

  /**
   * Reads {@code topic} from its start to its end, decoding every value with the audit's Avro
   * deserializer; returns the count.
   */
  private long readAndDecode(String topic, SchemaRegistryClient registry) {
    AvroDeserializer<LoginEvent> decoder = new AvroDeserializer<>(LoginEvent.class, registry);
    return PlainConsumer.read(
        bench.client(), topic, value -> decoder.deserialize(topic, value).getEventTime() != null);
  }
}
