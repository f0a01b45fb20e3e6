package org.popbeforesmtp.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.edge.GrantCache;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.runtime.ProcessorApp;

/** A scenario of the bench command: its run, and what the scenarios share. */
abstract class Scenario {
  protected final Bench bench;
  protected final boolean quick;

  Scenario(Bench bench) {
    this.bench = bench;
    this.quick = bench.settings().quick();
  }

  /** Runs the scenario; every scenario stops by itself. */
  abstract Result run() throws Exception;

  /** The scenario called {@code name}. */
  static Scenario of(String name, Bench bench) {
    return switch (name) {
      case "processor-throughput" -> new ProcessorThroughput(bench);
      case "login-to-edge" -> new LoginToEdge(bench);
      case "policy-server" -> new PolicyServer(bench);
      case "edge-memory" -> new EdgeMemory(bench);
      case "audit-replay" -> new AuditReplayRates(bench);
      case "tail-agent" -> new TailAgent(bench);
      default ->
          throw new IllegalArgumentException(
              "unknown scenario '" + name + "': one of " + Bench.SCENARIOS);
    };
  }

  static String f0(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  static String f1(double v) {
    return String.format(Locale.ROOT, "%,.1f", v);
  }

  static String f2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** A processor and an edge's grant cache on the same topics; closing stops the edge first. */
  record Pipeline(ProcessorApp processor, GrantCache edge) implements AutoCloseable {
    @Override
    public void close() {
      try (processor) {
        edge.close();
      }
    }
  }

  /**
   * A processor of application {@code name} plus an id (TTL 30 min) and an edge's grant cache on
   * {@code topics}, both ready.
   */
  Pipeline pipeline(Topics topics, String name) throws IOException, InterruptedException {
    ProcessorApp processor =
        bench.processor(topics, name + "-" + shortId(), Map.of("ttl", "30m"), Map.of());
    Pipeline started;
    try {
      started = new Pipeline(processor, edgeCache(topics));
    } catch (RuntimeException e) {
      processor.close();
      throw e;
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (started.processor().streams().state() != KafkaStreams.State.RUNNING
        || !started.edge().isReady()) {
      if (System.nanoTime() > deadline) {
        started.close();
        throw new IllegalStateException("processor or edge not ready within a minute");
      }
      Thread.sleep(50);
    }
    return started;
  }

  /**
   * Writes grants for addresses 0..n-1 of the pool, expiring after {@code ttl}, and waits until
   * Kafka acknowledged every one (failed sends are sent again: a grant is idempotent per key).
   */
  void produceGrants(String topic, int n, Duration ttl) throws Exception {
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

  static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  Properties producerProps() {
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

  /** An edge's grant cache on {@code topics}' grants, started (it loads in the background). */
  GrantCache edgeCache(Topics topics) {
    return new GrantCache(
            bench.client(), topics.grants(), bench.registry, Clock.systemUTC(), Duration.ZERO)
        .start();
  }
}
