package org.popbeforesmtp.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.runtime.DevSchemaRegistry;
import org.popbeforesmtp.runtime.ProcessorApp;
import org.popbeforesmtp.runtime.TopicProvisioner;
import org.popbeforesmtp.testing.Commands;
import org.popbeforesmtp.testing.Intervals;
import org.popbeforesmtp.testing.KafkaBroker;
import org.popbeforesmtp.testing.ProcessorFixture;
import org.popbeforesmtp.testing.TestEvents;

/** Audit replay against the real broker: equal to the live processor, the CLI, and a 1M replay. */
@ExtendWith(KafkaBroker.class)
class AuditIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static Properties client() {
    Properties p = new Properties();
    p.put("bootstrap.servers", KafkaBroker.bootstrapServers());
    return p;
  }

  @Test
  void replayFindsTheIntervalsTheLiveProcessorPublished() throws Exception {
    try (ProcessorFixture f = new ProcessorFixture();
        ProcessorApp app =
            ProcessorApp.start(f.config(dir.resolve("state"), Map.of("ttl", "20s")))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
      ProcessorConfig config = app.config();
      Random random = new Random(7);
      int events = 0;
      // Replay runs each login at its arrival, the live processor at its processing time: they
      // agree while the processor lags less than the slack the history leaves (here 19 s: logins
      // at most 1 s old, TTL 20 s). So each address logs in in bursts (1-5 logins within a
      // second, out of order, 10% failed), and bursts of one address are 25 s apart.
      try (LoginPublisher publisher =
          new LoginPublisher(
              client(), config.topics().logins(), f.registry, 100_000, Duration.ofSeconds(30))) {
        for (int round = 0; round < 2; round++) {
          long burst = System.currentTimeMillis();
          for (int host = 0; host < 1000; host++) {
            String ip =
                host % 5 == 0
                    ? "2001:db8::" + Integer.toHexString(host)
                    : "10.1." + host / 256 + "." + host % 256;
            if (random.nextInt(4) == 0) {
              continue; // this address stays quiet this round
            }
            for (int i = 1 + random.nextInt(5); i > 0; i--) {
              publisher.submit(
                  TestEvents.login(Instant.ofEpochMilli(burst - random.nextInt(1000)))
                      .setEventId("ev-" + events++)
                      .setClientIp(ip)
                      .setUsername("user" + random.nextInt(40))
                      .setProtocol(random.nextBoolean() ? Protocol.POP3 : Protocol.IMAP)
                      .setOutcome(random.nextInt(10) == 0 ? Outcome.FAILURE : Outcome.SUCCESS)
                      .build());
            }
          }
          await().atMost(Duration.ofSeconds(30)).until(() -> publisher.queued() == 0);
          // the next round after this one's grants have expired (TTL 20 s) and been tombstoned
          await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> System.currentTimeMillis() >= burst + 25_000);
        }
      }
      // the last round's grants have expired and their tombstones are out
      long end = System.currentTimeMillis();
      List<GrantInterval> live = new ArrayList<>();
      GrantTimeline timeline = new GrantTimeline(config.policy(), 0L, live::add);
      List<ConsumerRecord<String, RelayGrant>> records = f.grants(Duration.ofSeconds(5));
      for (ConsumerRecord<String, RelayGrant> r : records) {
        if (r.value() == null) {
          timeline.tombstone(r.key(), GrantInterval.Ending.ENDED, "", r.timestamp());
        } else {
          timeline.upsert(r.value(), r.timestamp());
        }
      }
      timeline.finish(end);

      List<GrantInterval> replayed = new ArrayList<>();
      List<GrantInterval> onOneThread = new ArrayList<>();
      List<RefusedLogin> refusedByFour = new ArrayList<>();
      List<RefusedLogin> refusedByOne = new ArrayList<>();
      Audit.Report report;
      Audit.Report single;
      try (HistoryReader reader = new HistoryReader(client(), f.registry)) {
        // four replays side by side, one share of the 12 partitions each, merged
        report =
            Audit.run(
                reader,
                config.policy(),
                config.topics(),
                new Audit.Everything(),
                0L,
                Long.MAX_VALUE,
                end,
                4,
                replayed::add,
                refusedByFour::add,
                (read, total) -> {});
        single =
            Audit.run(
                reader,
                config.policy(),
                config.topics(),
                new Audit.Everything(),
                0L,
                Long.MAX_VALUE,
                end,
                1,
                onOneThread::add,
                refusedByOne::add,
                (read, total) -> {});
      }
      assertThat(Intervals.project(replayed))
          .as("parallel replay = one replay")
          .isEqualTo(Intervals.project(onOneThread));
      // a user's question replays only the keys the user logged in from: the same intervals
      List<GrantInterval> ofUser = new ArrayList<>();
      List<RefusedLogin> refusedOfUser = new ArrayList<>();
      try (HistoryReader reader = new HistoryReader(client(), f.registry)) {
        Audit.run(
            reader,
            config.policy(),
            config.topics(),
            new Audit.ForUser("user7"),
            0L,
            Long.MAX_VALUE,
            end,
            Audit.defaultThreads(),
            ofUser::add,
            refusedOfUser::add,
            (read, total) -> {});
      }
      assertThat(ofUser)
          .isNotEmpty()
          .containsExactlyInAnyOrderElementsOf(
              onOneThread.stream().filter(i -> i.users().contains("user7")).toList());
      assertThat(refusedOfUser)
          .containsExactlyInAnyOrderElementsOf(
              refusedByOne.stream()
                  .filter(r -> r.event() != null && "user7".equals(r.event().getUsername()))
                  .toList());
      assertThat(replayed).containsExactlyInAnyOrderElementsOf(onOneThread);
      assertThat(refusedByFour).containsExactlyInAnyOrderElementsOf(refusedByOne).isNotEmpty();
      assertThat(report.read().loginRecords()).isEqualTo(single.read().loginRecords());
      assertThat(report.read().partitionsRead()).isEqualTo(12);
      System.out.printf(
          "AUDIT-EQUIVALENCE: %d events, %d relay.grants records, %d intervals%n",
          events, records.size(), live.size());
      assertThat(report.read().loginRecords()).isEqualTo(events);
      assertThat(live).hasSizeGreaterThan(1000);
      assertThat(Intervals.project(replayed)).isEqualTo(Intervals.project(live));
    }
  }

  /** A backfilled history (record time = event time) with a config file naming the topics. */
  private Path history(Topics topics, String registryUrl) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.bootstrapServers()))) {
      TopicProvisioner.ensure(admin, topics, 3, -1);
    }
    Instant t = Instant.parse("2026-03-10T03:00:00Z");
    try (LoginPublisher publisher =
        new LoginPublisher(
            client(),
            topics.logins(),
            SerdeConfig.of(registryUrl).newClient(),
            1000,
            Duration.ofSeconds(30),
            LoginPublisher.RecordTime.EVENT)) {
      publisher.publishAll(
          List.of(
              TestEvents.login(t).setEventId("pop-1").setClientIp("198.51.100.23").build(),
              TestEvents.login(t.plusSeconds(600))
                  .setEventId("pop-2")
                  .setClientIp("198.51.100.23")
                  .setServerId("pop-02")
                  .build(),
              TestEvents.login(t.plusSeconds(700))
                  .setEventId("bad-pw")
                  .setClientIp("198.51.100.24")
                  .setUsername("mallory")
                  .setOutcome(Outcome.FAILURE)
                  .build(),
              TestEvents.login(t.plusSeconds(7200))
                  .setEventId("pop-3")
                  .setClientIp("2001:db8::7")
                  .build()));
    }
    Path config = dir.resolve("processor.properties");
    Files.writeString(
        config,
        "bootstrap.servers="
            + KafkaBroker.bootstrapServers()
            + "\nschema.registry.url="
            + registryUrl
            + "\ntopic.logins="
            + topics.logins()
            + "\ntopic.revocations="
            + topics.revocations()
            + "\nttl=30m\n");
    return config;
  }

  @Test
  void commandAnswersWhoLetAnAddressRelayAndExports() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("audit-cli") + ".");
    Path config = history(topics, "mock://" + KafkaBroker.unique("audit-cli"));

    String table =
        Commands.run(
            "audit",
            "ip",
            "198.51.100.23",
            "--config",
            config.toString(),
            "--at",
            "2026-03-10T03:25:00Z");
    assertThat(table)
        .contains("rules: ttl=30m max-future-skew=2m ipv4-prefix-length=32")
        .contains("read partition ")
        .contains(
            "ALLOWED at 2026-03-10T03:25:00.000Z: grant of 198.51.100.23 from"
                + " 2026-03-10T03:00:00.000Z until 2026-03-10T03:40:00.000Z, by login pop-2 of"
                + " alice (POP3 on pop-02 from 198.51.100.23 at 2026-03-10T03:10:00.000Z)")
        .contains("opened    2026-03-10T03:00:00.000Z  pop-1");
    System.out.println("AUDIT-IP-TABLE:\n" + table);

    JsonNode boundary =
        JSON.readTree(
            Commands.run(
                "audit",
                "ip",
                "198.51.100.23",
                "--config",
                config.toString(),
                "--at",
                "2026-03-10T03:40:00Z",
                "--format",
                "json"));
    assertThat(boundary.get("verdict").get("allowed").asBoolean()).as("at t+TTL").isFalse();
    JsonNode lastMs =
        JSON.readTree(
            Commands.run(
                "audit",
                "ip",
                "198.51.100.23",
                "--config",
                config.toString(),
                "--at",
                "2026-03-10T03:39:59.999Z",
                "--format",
                "json"));
    assertThat(lastMs.get("verdict").get("eventId").asText()).isEqualTo("pop-2");

    String user =
        Commands.run(
            "audit", "user", "alice", "--config", config.toString(), "--from", "2026-03-10");
    assertThat(user).contains("198.51.100.23").contains("2001:db8::7").doesNotContain("mallory");
    System.out.println("AUDIT-USER-TABLE:\n" + user);

    Path csv = dir.resolve("march.csv");
    Commands.run(marchCsv(config, csv).toArray(String[]::new));
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines.get(0)).startsWith("type,key,from,until,ending");
    assertThat(lines.get(1)).startsWith("rules,").contains("ttl=30m");
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith(
                    "grant,198.51.100.23,2026-03-10T03:00:00.000Z,2026-03-10T03:40:00.000Z,expired"))
        .anyMatch(l -> l.startsWith("grant,2001:db8::7,"))
        .anyMatch(l -> l.startsWith("refusal,198.51.100.24,") && l.contains("not-successful"));
    System.out.println("AUDIT-CSV:\n" + String.join("\n", lines));

    String jsonl =
        Commands.run(
            "audit",
            "export",
            "--config",
            config.toString(),
            "--from",
            "2026-03-10T00:00:00Z",
            "--to",
            "2026-03-11T00:00:00Z",
            "--format",
            "jsonl");
    assertThat(jsonl.lines().map(l -> l.substring(0, l.indexOf(','))))
        .containsExactly(
            "{\"type\":\"rules\"",
            "{\"type\":\"refusal\"",
            "{\"type\":\"grant\"",
            "{\"type\":\"grant\"",
            "{\"type\":\"summary\"");
  }

  /**
   * bin/pop-before-smtp as an abuse desk runs it: the first question writes a class-data archive of
   * the jar and answers as {@code java -jar} does; the next loads its classes from the archive and
   * answers the same; a question that fails writes none.
   */
  @Test
  void launcherAnswersFromAClassDataArchiveItWritesOnFirstUse() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("audit-launcher") + ".");
    try (DevSchemaRegistry registry = DevSchemaRegistry.start(dir, "127.0.0.1", 0)) {
      Path config =
          history(topics, registry.url()); // an HTTP registry: the CLI runs in its own JVM
      Path cds = dir.resolve("cds");
      List<String> question =
          List.of(
              "audit",
              "ip",
              "198.51.100.23",
              "--config",
              config.toString(),
              "--at",
              "2026-03-10T03:25:00Z",
              "--format",
              "json");

      Launched first = launch(cds, "", question);
      assertThat(first.code()).as(first.err()).isZero();
      JsonNode verdict = JSON.readTree(first.out()).get("verdict");
      assertThat(verdict.get("allowed").asBoolean()).isTrue();
      assertThat(verdict.get("eventId").asText()).isEqualTo("pop-2");
      List<Path> archives = list(cds);
      assertThat(archives).as("the archive the first question wrote").hasSize(1);
      assertThat(archives.get(0).getFileName().toString()).startsWith("audit-").endsWith(".jsa");

      Path classes = dir.resolve("classes.log");
      Launched second = launch(cds, "-Xlog:class+load:file=" + classes, question);
      assertThat(second.code()).as(second.err()).isZero();
      assertThat(answer(second)).as("the same answer").isEqualTo(answer(first));
      assertThat(Files.readAllLines(classes))
          .as("the audit's own classes come from the archive")
          .anyMatch(
              l ->
                  l.contains(" org.popbeforesmtp.audit.HistoryReader ")
                      && l.contains("shared objects file (top)"));
      assertThat(list(cds)).isEqualTo(archives);

      Path failedCds = dir.resolve("cds-failed");
      List<String> failing = new ArrayList<>(question);
      failing.set(failing.indexOf(config.toString()), dir.resolve("missing.properties").toString());
      Launched failed = launch(failedCds, "", failing);
      assertThat(failed.code()).isNotZero();
      assertThat(failed.err()).contains("missing.properties");
      assertThat(list(failedCds))
          .as("no archive, no partial one, from a failed question")
          .isEmpty();
    }
  }

  /**
   * bin/pop-before-smtp runs a question that replays days (here an export, with archives off) as a
   * batch job, on the throughput collector with the optimising compiler kept for the hottest code,
   * and answers as the CLI does in-process.
   */
  @Test
  void launcherRunsAnExportAsABatchJobWithTheSameAnswer() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("audit-batch") + ".");
    try (DevSchemaRegistry registry = DevSchemaRegistry.start(dir, "127.0.0.1", 0)) {
      Path config = history(topics, registry.url());
      Path launchedCsv = dir.resolve("launched.csv");
      Launched launched =
          launch(Path.of("off"), "-XX:+PrintFlagsFinal", marchCsv(config, launchedCsv));
      assertThat(launched.code()).as(launched.err()).isZero();
      assertThat(launched.out())
          .containsPattern("Tier4InvocationThreshold  *= 100000 ")
          .containsPattern("Tier4BackEdgeThreshold  *= 1000000 ")
          .containsPattern("UseParallelGC  *= true ");

      Path inProcessCsv = dir.resolve("in-process.csv");
      Commands.run(marchCsv(config, inProcessCsv).toArray(String[]::new));
      assertThat(Files.readAllLines(launchedCsv))
          .hasSizeGreaterThan(3)
          .isEqualTo(Files.readAllLines(inProcessCsv));
    }
  }

  /** The CLI's arguments for an export of March 2026 as CSV to {@code output}. */
  private static List<String> marchCsv(Path config, Path output) {
    return List.of(
        "audit",
        "export",
        "--config",
        config.toString(),
        "--from",
        "2026-03-01",
        "--to",
        "2026-04-01",
        "--format",
        "csv",
        "--output",
        output.toString());
  }

  private record Launched(int code, String out, String err) {}

  /** The answer without its summary (which says how long the read took). */
  private static JsonNode answer(Launched run) throws Exception {
    ObjectNode answer = (ObjectNode) JSON.readTree(run.out());
    assertThat(answer.remove("summary")).isNotNull();
    return answer;
  }

  /** Runs bin/pop-before-smtp with {@code args}, its archives in {@code cds}. */
  private Launched launch(Path cds, String javaOptions, List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bin/pop-before-smtp"));
    command.addAll(args);
    Path out = Files.createTempFile(dir, "launcher", ".out");
    Path err = Files.createTempFile(dir, "launcher", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    pb.environment().put("PBS_CDS_DIR", cds.toString());
    pb.environment().put("PBS_JAVA_OPTS", javaOptions);
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().remove("PBS_JAR"); // the jar mvn package built, found from the script
    Process p = pb.start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("launcher finished").isTrue();
    return new Launched(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static List<Path> list(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (var files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }

  @Test
  void replaysAMillionEventsAndAnAddressFromOnePartition() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("audit-1m") + ".");
    String registryUrl = "mock://" + KafkaBroker.unique("audit-1m");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.bootstrapServers()))) {
      TopicProvisioner.ensure(admin, topics, 6, -1);
    }
    int n = 1_000_000;
    long start = Instant.parse("2026-03-01T00:00:00Z").toEpochMilli();
    long span = Duration.ofDays(2).toMillis();
    long produceStart = System.nanoTime();
    try (LoginPublisher publisher =
        new LoginPublisher(
            client(),
            topics.logins(),
            SerdeConfig.of(registryUrl).newClient(),
            200_000,
            // a CI machine's broker once sat a batch out for the publisher's usual 60 s; this test
            // is about replay, so a slow broker may only slow it down
            Duration.ofMinutes(5),
            LoginPublisher.RecordTime.EVENT)) {
      Random random = new Random(11);
      List<LoginEvent> batch = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long time = start + span * i / n;
        batch.add(
            TestEvents.login(Instant.ofEpochMilli(time))
                .setEventId("m-" + i)
                .setClientIp(
                    "10."
                        + random.nextInt(4)
                        + "."
                        + random.nextInt(256)
                        + "."
                        + random.nextInt(256))
                .setUsername("user" + random.nextInt(50_000))
                .setOutcome(random.nextInt(20) == 0 ? Outcome.FAILURE : Outcome.SUCCESS)
                .build());
        if (batch.size() == 20_000) {
          publisher.publishAll(batch);
          batch.clear();
        }
      }
      publisher.publishAll(batch);
    }
    double produced = (System.nanoTime() - produceStart) / 1e9;
    GrantPolicy policy = GrantPolicy.defaults();
    long[] intervals = new long[1];
    Audit.Report all;
    Audit.Report one;
    try (HistoryReader reader =
        new HistoryReader(client(), SerdeConfig.of(registryUrl).newClient())) {
      await()
          .atMost(Duration.ofMinutes(1))
          .until(
              () ->
                  Audit.run(
                              reader,
                              policy,
                              topics,
                              new Audit.ForAddress("10.0.0.1"),
                              0L,
                              Long.MAX_VALUE,
                              System.currentTimeMillis(),
                              Audit.defaultThreads(),
                              i -> {},
                              r -> {},
                              (read, total) -> {})
                          .read()
                          .partitionsRead()
                      == 1);
      all =
          Audit.run(
              reader,
              policy,
              topics,
              new Audit.Everything(),
              0L,
              Long.MAX_VALUE,
              System.currentTimeMillis(),
              Audit.defaultThreads(),
              i -> intervals[0]++,
              r -> {},
              (read, total) -> {});
      one =
          Audit.run(
              reader,
              policy,
              topics,
              new Audit.ForAddress("10.1.2.3"),
              0L,
              Long.MAX_VALUE,
              System.currentTimeMillis(),
              Audit.defaultThreads(),
              i -> {},
              r -> {},
              (read, total) -> {});
    }
    System.out.printf(
        "AUDIT-1M: produced %,d in %.1f s; export replay %,d records in %.1f s = %,.0f records/s,"
            + " %,d intervals; single address: %,d records (1 of 6 partitions) in %.2f s%n",
        n,
        produced,
        all.read().loginRecords(),
        all.elapsedNanos() / 1e9,
        all.rate(),
        intervals[0],
        one.read().loginRecords(),
        one.elapsedNanos() / 1e9);
    assertThat(all.read().loginRecords()).isEqualTo(n);
    assertThat(all.read().undecodableCount()).isZero();
    assertThat(one.read().partitionsRead()).isEqualTo(1);
    assertThat(one.read().loginRecords()).isLessThan(n / 3);
    assertThat(intervals[0]).isGreaterThan(100_000);
  }
}
