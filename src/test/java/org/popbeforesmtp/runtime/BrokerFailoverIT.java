package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.testing.AppConfigs;
import org.popbeforesmtp.testing.KafkaBroker;
import org.popbeforesmtp.testing.SharedCluster;
import org.popbeforesmtp.testing.TestEvents;

/**
 * On a real three-node cluster (replication factor 3, min.insync.replicas 2): under a steady stream
 * of logins, {@code kill -9} of the node that leads the most partitions. Every login Kafka
 * acknowledged becomes a grant at the edge (none lost), the edge answers from memory all along
 * (grants made before the kill never flicker), and the processor recovers without a restart.
 */
class BrokerFailoverIT {
  @TempDir Path dir;

  @Test
  void killingTheBusiestBrokerLosesNoAcknowledgedLoginAndTheEdgeKeepsAnswering() throws Exception {
    LocalCluster cluster = SharedCluster.get();
    String registryUrl = "mock://" + KafkaBroker.unique("failover");
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("failover") + ".");
    try (Admin admin = cluster.admin()) {
      TopicProvisioner.ensure(admin, topics, 6, 3);
    }
    try (ProcessorApp processor =
            ProcessorApp.start(
                AppConfigs.processor(
                    cluster.bootstrapServers(),
                    registryUrl,
                    KafkaBroker.unique("failover"),
                    dir.resolve("state"),
                    AppConfigs.withTopics(
                        topics, Map.of("partitions", "6", "replication.factor", "3", "ttl", "30m")),
                    Map.of()));
        EdgeApp edge =
            EdgeApp.start(
                AppConfigs.edge(
                    cluster.bootstrapServers(), registryUrl, topics.grants(), Map.of()));
        KafkaProducer<String, LoginEvent> producer = producer(cluster, registryUrl)) {
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () ->
                  processor.streams().state() == KafkaStreams.State.RUNNING
                      && processor.isReady()
                      && edge.cache().isReady());

      Set<String> acked = ConcurrentHashMap.newKeySet();
      AtomicLong failed = new AtomicLong();
      AtomicBoolean sending = new AtomicBoolean(true);
      Thread load =
          new Thread(
              () -> {
                // 200 logins a second, each from its own address, until told to stop
                for (int i = 0; sending.get(); i++) {
                  String ip = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
                  producer.send(
                      new ProducerRecord<>(
                          topics.logins(),
                          ip,
                          TestEvents.login(Instant.now()).setClientIp(ip).build()),
                      (md, ex) -> {
                        if (ex == null) {
                          acked.add(ip);
                        } else {
                          failed.incrementAndGet();
                        }
                      });
                  if (i % 20 == 19) {
                    try {
                      Thread.sleep(100);
                    } catch (InterruptedException ie) {
                      return;
                    }
                  }
                }
              },
              "login-load");
      load.start();

      // grants made before the kill: the edge must answer them right throughout
      await().atMost(Duration.ofSeconds(60)).until(() -> grantedCount(edge, acked) >= 500);
      List<String> before =
          acked.stream().filter(ip -> edge.cache().check(ip).granted()).limit(200).toList();
      AtomicLong flickers = new AtomicLong();
      AtomicLong probes = new AtomicLong();
      AtomicBoolean probing = new AtomicBoolean(true);
      Thread prober =
          new Thread(
              () -> {
                while (probing.get()) {
                  for (String ip : before) {
                    probes.incrementAndGet();
                    if (!edge.cache().check(ip).granted()) {
                      flickers.incrementAndGet();
                    }
                  }
                  try {
                    Thread.sleep(10);
                  } catch (InterruptedException ie) {
                    return;
                  }
                }
              },
              "edge-prober");
      prober.start();

      int victim;
      try (Admin admin = cluster.admin()) {
        victim = busiestLeader(admin, topics);
      }
      long killedAt = System.nanoTime();
      cluster.kill(victim);
      System.out.printf(
          "FAILOVER-BROKER: kill -9 of node %d (leader of the most partitions) after %d acked"
              + " logins%n",
          victim, acked.size());

      // a login acknowledged after the kill becomes a grant: the time to recover
      Set<String> atKill = Set.copyOf(acked);
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () ->
                  acked.stream()
                      .anyMatch(ip -> !atKill.contains(ip) && edge.cache().check(ip).granted()));
      double recovered = (System.nanoTime() - killedAt) / 1e9;
      Thread.sleep(5_000);
      sending.set(false);
      load.join(10_000);
      producer.flush();

      await().atMost(Duration.ofSeconds(90)).until(() -> grantedCount(edge, acked) == acked.size());
      probing.set(false);
      prober.join(10_000);
      double allGranted = (System.nanoTime() - killedAt) / 1e9;
      System.out.printf(
          "FAILOVER-BROKER: %d logins acknowledged (%d sends failed), all %d granted at the edge"
              + " %.1f s after the kill; grants flowing again %.1f s after it; %d probes of %d"
              + " earlier grants during the outage, %d said no%n",
          acked.size(),
          failed.get(),
          acked.size(),
          allGranted,
          recovered,
          probes.get(),
          before.size(),
          flickers.get());
      assertThat(flickers.get()).as("earlier grants the edge denied during the failover").isZero();
      assertThat(processor.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
    }
  }

  private static long grantedCount(EdgeApp edge, Set<String> ips) {
    return ips.stream().filter(ip -> edge.cache().check(ip).granted()).count();
  }

  /** The node that leads the most partitions of our topics. */
  private static int busiestLeader(Admin admin, Topics topics) throws Exception {
    Map<String, TopicDescription> described =
        admin
            .describeTopics(List.of(topics.logins(), topics.grants(), topics.revocations()))
            .allTopicNames()
            .get(30, TimeUnit.SECONDS);
    Map<Integer, Integer> led = new HashMap<>();
    for (TopicDescription d : described.values()) {
      for (TopicPartitionInfo partition : d.partitions()) {
        if (partition.leader() != null) {
          led.merge(partition.leader().id(), 1, Integer::sum);
        }
      }
    }
    return led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  private static KafkaProducer<String, LoginEvent> producer(
      LocalCluster cluster, String registryUrl) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return new KafkaProducer<>(
        p,
        new StringSerializer(),
        new AvroSerializer<>(LoginEvent.class, SerdeConfig.of(registryUrl).newClient(), true));
  }
}
