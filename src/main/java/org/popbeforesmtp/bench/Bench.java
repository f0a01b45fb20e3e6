package org.popbeforesmtp.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.runtime.Brokers;
import org.popbeforesmtp.runtime.EmbeddedKafka;
import org.popbeforesmtp.runtime.LocalCluster;
import org.popbeforesmtp.runtime.ProcessorApp;
import org.popbeforesmtp.runtime.TopicProvisioner;
import org.popbeforesmtp.text.Json;

/**
 * The benchmark harness: an embedded broker on loopback, an in-memory registry, the scenarios run
 * one after another, each printing a table and writing JSON (figures plus the machine: cores, JVM,
 * heap, Kafka version, settings). Everything stops by itself.
 */
public final class Bench implements AutoCloseable {
  /** The scenario names, in run order. */
  public static final List<String> SCENARIOS =
      List.of(
          "processor-throughput",
          "login-to-edge",
          "policy-server",
          "edge-memory",
          "audit-replay",
          "tail-agent");

  /**
   * @param quick the small sizes (CI keeps the harness alive with them)
   * @param workDir broker data and state, deleted at the end
   * @param outputDir where the JSON goes
   */
  public record Settings(
      boolean quick,
      Path workDir,
      Path outputDir,
      List<String> scenarios,
      int brokers,
      PrintWriter out) {}

  final Settings settings;
  final Brokers kafka;
  final Admin admin;
  final String registryUrl = "mock://bench-" + UUID.randomUUID();
  final SchemaRegistryClient registry = SerdeConfig.of(registryUrl).newClient();
  private int topicCounter;

  private Bench(Settings settings) throws Exception {
    this.settings = settings;
    Files.createDirectories(settings.workDir());
    Files.createDirectories(settings.outputDir());
    if (settings.brokers() > 1) {
      settings.out().printf("starting a local cluster of %d brokers...%n", settings.brokers());
      settings.out().flush();
    }
    this.kafka =
        settings.brokers() == 1
            ? EmbeddedKafka.start(settings.workDir().resolve("kafka"), 0, Map.of())
            : LocalCluster.start(settings.workDir().resolve("cluster"), settings.brokers());
    this.admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
  }

  /** Runs the chosen scenarios; returns their results. */
  public static List<ObjectNode> run(Settings settings) throws Exception {
    long started = System.nanoTime();
    List<ObjectNode> all = new ArrayList<>();
    try (Bench bench = new Bench(settings)) {
      PrintWriter out = settings.out();
      out.println(
          "# pop-before-smtp bench"
              + (settings.quick() ? " --quick" : "")
              + (settings.brokers() > 1
                  ? " on a local cluster of " + settings.brokers() + " brokers"
                  : ""));
      out.println();
      out.println(machine().toString());
      out.flush();
      for (String name : settings.scenarios()) {
        long t = System.nanoTime();
        out.println();
        out.println("running " + name + "...");
        out.flush();
        Result r = Scenario.of(name, bench).run();
        r.json.set("machine", machine());
        r.json.put("brokers", settings.brokers());
        r.json.put("quick", settings.quick());
        r.json.put("seconds", (System.nanoTime() - t) / 1e9);
        r.print(out);
        Files.writeString(
            settings.outputDir().resolve(name + ".json"),
            Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(r.json));
        all.add(r.json);
      }
      out.println();
      out.printf(
          Locale.ROOT,
          "all scenarios done in %.0f s; JSON in %s%n",
          (System.nanoTime() - started) / 1e9,
          settings.outputDir());
      out.flush();
    }
    return all;
  }

  /** Cores, JVM, heap, Kafka version: what every figure depends on. */
  static ObjectNode machine() {
    Runtime rt = Runtime.getRuntime();
    return Json.mapper()
        .createObjectNode()
        .put("cores", rt.availableProcessors())
        .put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"))
        .put("maxHeapMb", rt.maxMemory() / (1024 * 1024))
        .put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"))
        .put("kafka", kafkaVersion())
        .put("gc", gcNames());
  }

  private static String kafkaVersion() {
    Properties p = new Properties();
    try (var in = Bench.class.getResourceAsStream("/pop-before-smtp-version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    return p.getProperty("kafka.version", "unknown");
  }

  private static String gcNames() {
    List<String> names = new ArrayList<>();
    ManagementFactory.getGarbageCollectorMXBeans().forEach(b -> names.add(b.getName()));
    return String.join(", ", names);
  }

  Properties client() {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    return p;
  }

  /** Fresh topics for one measurement. */
  Topics topics(String name, int partitions) {
    Topics t = Topics.defaults().withPrefix("bench-" + name + "-" + (++topicCounter) + ".");
    // returns once every partition is led; on a cluster, replicated to every broker
    TopicProvisioner.ensure(admin, t, partitions, kafka.size());
    return t;
  }

  /** Address {@code i} of a pool: 80% IPv4 (10.0.0.0/8), 20% IPv6 (2001:db8::/32). */
  static String address(int i) {
    if (i % 5 == 4) {
      return "2001:db8:" + Integer.toHexString(i >>> 16) + "::" + Integer.toHexString(i & 0xffff);
    }
    return "10." + ((i >>> 16) & 0xff) + "." + ((i >>> 8) & 0xff) + "." + (i & 0xff);
  }

  /** Who logs in from an address. */
  enum Users {
    /**
     * Each address is a household of 1–3 mailboxes that log in from it; 1 login in 20 is someone
     * else's (a hotspot, a carrier NAT). How POP-before-SMTP traffic looks: clients poll from home.
     */
    HOUSEHOLDS,
    /** Every login is any of the users: each address sees a new user at nearly every login. */
    ANY
  }

  /**
   * A realistic login: from one of {@code addresses} (so addresses repeat within the TTL), by one
   * of {@code users} as {@code mix} says, 5% failed, 3 of 4 POP3, dated up to 10 minutes back.
   */
  static LoginEvent login(Random random, long n, int users, int addresses, Users mix, long now) {
    int address = random.nextInt(addresses);
    int user =
        mix == Users.ANY || random.nextInt(20) == 0
            ? random.nextInt(users)
            : Math.floorMod(address * 3 + random.nextInt(1 + address % 3), users);
    return LoginEvent.newBuilder()
        .setEventId("bench-" + n)
        .setEventTime(Instant.ofEpochMilli(now - random.nextInt(600_000)))
        .setClientIp(address(address))
        .setUsername("user" + user)
        .setProtocol(random.nextInt(4) == 0 ? Protocol.IMAP : Protocol.POP3)
        .setKind(LoginKind.LOGIN)
        .setOutcome(random.nextInt(20) == 0 ? Outcome.FAILURE : Outcome.SUCCESS)
        .setServerId("pop-" + random.nextInt(8))
        .setSource("bench")
        .setSessionId(null)
        .build();
  }

  /**
   * The logins of a history as `import` writes it, in time order: {@code n} evenly over {@code
   * span} ending at {@code end}, households over n / 40 addresses (the audit benchmarks' history).
   */
  public static Iterator<LoginEvent> history(int n, Duration span, long end, long seed) {
    long spanMs = span.toMillis();
    Random random = new Random(seed);
    return new Iterator<>() {
      private int i;

      @Override
      public boolean hasNext() {
        return i < n;
      }

      @Override
      public LoginEvent next() {
        if (i >= n) {
          throw new NoSuchElementException("the history has " + n + " logins");
        }
        LoginEvent login = login(random, i, 50_000, n / 40, Users.HOUSEHOLDS, 0L);
        login.setEventTime(Instant.ofEpochMilli(end - spanMs + spanMs / n * i));
        i++;
        return login;
      }
    };
  }

  /** Writes {@code n} logins, acknowledged; returns events/s of the producer. */
  double produceLogins(String topic, int n, int users, int addresses, Users mix, long seed)
      throws Exception {
    Random random = new Random(seed);
    long now = System.currentTimeMillis();
    long t = System.nanoTime();
    try (LoginPublisher publisher =
        new LoginPublisher(client(), topic, registry, 1, Duration.ofMinutes(2))) {
      List<LoginEvent> batch = new ArrayList<>(20_000);
      for (int i = 0; i < n; i++) {
        batch.add(login(random, i, users, addresses, mix, now));
        if (batch.size() == 20_000) {
          publisher.publishAll(batch);
          batch.clear();
        }
      }
      publisher.publishAll(batch);
    }
    return n / ((System.nanoTime() - t) / 1e9);
  }

  /** A processor on {@code topics} with its own application id and state. */
  ProcessorApp processor(
      Topics topics, String appId, Map<String, String> settings, Map<String, String> streams)
      throws IOException {
    return processor(topics, appId, 0, settings, streams);
  }

  /** Instance {@code instance} of processor application {@code appId}, with its own state. */
  ProcessorApp processor(
      Topics topics,
      String appId,
      int instance,
      Map<String, String> settings,
      Map<String, String> streams)
      throws IOException {
    Map<String, String> p = new LinkedHashMap<>(settings);
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("schema.registry.url", registryUrl);
    p.put("application.id", appId);
    p.put(
        "state.dir",
        Files.createDirectories(settings().workDir().resolve("state-" + appId + "-" + instance))
            .toString());
    p.put("http.host", "127.0.0.1");
    p.put("http.port", "0");
    p.put("advertised.host", "127.0.0.1");
    p.put("replication.factor", Integer.toString(kafka.size()));
    // topics it creates (relay.grants) get the logins topic's partition count, as the yardsticks'
    // output topics do, so both write to as many partitions per transaction
    p.putIfAbsent("partitions", Integer.toString(partitionsOf(topics.logins())));
    p.put("topic.logins", topics.logins());
    p.put("topic.grants", topics.grants());
    p.put("topic.revocations", topics.revocations());
    p.put("topic.dead.letters", topics.deadLetters());
    Map<String, String> s = new LinkedHashMap<>(streams);
    s.putIfAbsent("num.standby.replicas", "0");
    // experiments: -Dbench.streams.<setting>=<value> reaches every processor the bench starts
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("bench.streams.")) {
        s.put(name.substring("bench.streams.".length()), System.getProperty(name));
      }
    }
    return ProcessorApp.start(
        ProcessorConfig.from(
            ConfigSources.of(ProcessorConfig.SETTINGS, ProcessorConfig.DEFAULTS, p, s)));
  }

  /** The partition count of an existing topic. */
  int partitionsOf(String topic) {
    try {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .get(topic)
          .partitions()
          .size();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot describe topic " + topic + ": " + e, e);
    }
  }

  /** A progress line for the person waiting. */
  void progress(String line) {
    settings.out().println(line);
    settings.out().flush();
  }

  Settings settings() {
    return settings;
  }

  /** Records of {@code topic} not yet committed by group {@code appId}. */
  long uncommitted(String appId, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
    Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
    admin
        .describeTopics(List.of(topic))
        .allTopicNames()
        .get()
        .get(topic)
        .partitions()
        .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
    long behind = 0;
    for (var e : admin.listOffsets(latest).all().get().entrySet()) {
      OffsetAndMetadata o = committed.get(e.getKey());
      behind += e.getValue().offset() - (o == null ? 0 : o.offset());
    }
    return behind;
  }

  /** Records and key + value bytes in {@code topics}, committed ones only. */
  record Volume(long records, long bytes) {}

  /** Reads {@code topics} whole (read_committed) and counts what they hold. */
  Volume volume(List<String> topics) {
    if (topics.isEmpty()) {
      return new Volume(0, 0);
    }
    Properties p = client();
    p.put("isolation.level", "read_committed");
    p.put("key.deserializer", ByteArrayDeserializer.class);
    p.put("value.deserializer", ByteArrayDeserializer.class);
    p.put("max.poll.records", "5000");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        consumer
            .partitionsFor(topic, Duration.ofSeconds(30))
            .forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long records = 0;
      long bytes = 0;
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topics + " to the end in 5 min");
        }
        for (var rec : consumer.poll(Duration.ofMillis(200))) {
          records++;
          bytes +=
              (rec.key() == null ? 0 : rec.key().length)
                  + (rec.value() == null ? 0 : rec.value().length);
        }
      }
      return new Volume(records, bytes);
    }
  }

  /** The changelog topics of Streams application {@code appId}. */
  List<String> changelogs(String appId) throws Exception {
    return admin.listTopics().names().get().stream()
        .filter(t -> t.startsWith(appId + "-") && t.endsWith("-changelog"))
        .sorted()
        .toList();
  }

  @Override
  public void close() throws IOException {
    admin.close(Duration.ofSeconds(5));
    kafka.close();
    try (var paths = Files.walk(settings.workDir())) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
