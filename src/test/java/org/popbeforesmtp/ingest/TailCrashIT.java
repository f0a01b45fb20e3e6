package org.popbeforesmtp.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.registry.AvroDeserializer;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.runtime.DevSchemaRegistry;
import org.popbeforesmtp.runtime.TopicProvisioner;
import org.popbeforesmtp.testing.KafkaBroker;

/**
 * The tail agent as the jar in its own JVM, killed with {@code kill -9} while a log grows and
 * restarted from its checkpoint: every line written becomes a login event (none lost); lines it had
 * published but not yet checkpointed are sent again with the same event id, which the processor
 * ignores as a duplicate.
 */
@ExtendWith(KafkaBroker.class)
class TailCrashIT {
  private static final int LINES = 3_000;
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  @TempDir Path dir;

  @Test
  void aKilledTailAgentRestartsFromItsCheckpointLosingNoLine() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("tail") + ".");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.bootstrapServers()))) {
      TopicProvisioner.ensure(admin, topics, 3, -1);
    }
    try (DevSchemaRegistry registry =
        DevSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0)) {
      Path log = dir.resolve("dovecot.log");
      Files.writeString(log, "");
      Thread writer = new Thread(() -> write(log), "log-writer");
      writer.start();
      Process tail = startTail(registry.url(), topics, log);
      Thread.sleep(3_000);
      tail.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      System.out.println("TAIL-CRASH: tail agent killed with kill -9 while the log grows");
      Thread.sleep(1_000);
      tail = startTail(registry.url(), topics, log);
      writer.join(60_000);
      try {
        Map<String, Integer> seen = read(registry.url(), topics, Duration.ofSeconds(90));
        int total = seen.values().stream().mapToInt(Integer::intValue).sum();
        System.out.printf(
            "TAIL-CRASH: %d lines written, %d distinct login events on the topic (%d records: %d"
                + " sent again with the same event id)%n",
            LINES, seen.size(), total, total - seen.size());
        assertThat(seen).as("distinct event ids: one per line, none lost").hasSize(LINES);
      } finally {
        tail.destroy();
        tail.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /** Appends LINES Dovecot login lines at about 300 a second. */
  private static void write(Path log) {
    try (Writer out =
        Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
      for (int i = 0; i < LINES; i++) {
        out.write(
            LocalDateTime.now(ZoneOffset.UTC).format(STAMP)
                + " pop3-login: Info: Login: user=<u"
                + i
                + ">, method=PLAIN, rip=10.9."
                + (i >> 8)
                + "."
                + (i & 255)
                + ", lip=127.0.0.1, mpid="
                + (1000 + i)
                + ", session=<s"
                + i
                + ">\n");
        if (i % 30 == 29) {
          out.flush();
          Thread.sleep(100);
        }
      }
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private Process startTail(String registryUrl, Topics topics, Path log) throws IOException {
    Path jar = Path.of("target", "pop-before-smtp.jar");
    assertThat(jar).as("the jar (built by mvn package before the ITs)").exists();
    return new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-jar",
            jar.toString(),
            "tail",
            "--bootstrap-servers",
            KafkaBroker.bootstrapServers(),
            "--schema-registry-url",
            registryUrl,
            "--topic",
            topics.logins(),
            "--server-id",
            "pop-crash",
            "--zone",
            "UTC",
            "--state-dir",
            dir.resolve("state").toString(),
            log.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("tail.log").toFile()))
        .start();
  }

  /**
   * Event id → how often it is on the topic, once LINES distinct ones arrived (or the wait ends).
   */
  private static Map<String, Integer> read(String registryUrl, Topics topics, Duration wait) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, KafkaBroker.unique("tail-crash"));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<String, Integer> seen = new HashMap<>();
    try (KafkaConsumer<String, LoginEvent> consumer =
        new KafkaConsumer<>(
            p,
            new StringDeserializer(),
            new AvroDeserializer<>(LoginEvent.class, SerdeConfig.of(registryUrl).newClient()))) {
      consumer.subscribe(List.of(topics.logins()));
      long deadline = System.nanoTime() + wait.toNanos();
      while (System.nanoTime() < deadline && seen.size() < LINES) {
        for (ConsumerRecord<String, LoginEvent> r : consumer.poll(Duration.ofMillis(500))) {
          seen.merge(r.value().getEventId(), 1, Integer::sum);
        }
      }
      // a little longer: late duplicates are counted too
      long settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (System.nanoTime() < settle) {
        for (ConsumerRecord<String, LoginEvent> r : consumer.poll(Duration.ofMillis(200))) {
          seen.merge(r.value().getEventId(), 1, Integer::sum);
        }
      }
    }
    return seen;
  }
}
