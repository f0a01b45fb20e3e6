package org.popbeforesmtp.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.runtime.EmbeddedKafka;
import org.popbeforesmtp.runtime.TopicProvisioner;
import org.popbeforesmtp.testing.KafkaBroker;

/** The grant cache on a real broker: load, follow, tombstones, local expiry, broker loss. */
@ExtendWith(KafkaBroker.class)
class GrantCacheIT {
  private static final Instant T = Instant.parse("2026-11-26T10:00:00Z");

  @TempDir Path dir;
  private final SchemaRegistryClient registry =
      SerdeConfig.of("mock://" + KafkaBroker.unique("edge")).newClient();
  private final AtomicLong now = new AtomicLong(T.toEpochMilli());
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return Instant.ofEpochMilli(now.get());
        }
      };

  private static RelayGrant grant(String key, Instant expiresAt) {
    return RelayGrant.newBuilder()
        .setKey(key)
        .setClientIp(key.contains("/") ? "2001:db8:1:2::1" : key)
        .setUsername("alice")
        .setGrantedAt(expiresAt.minusSeconds(1800))
        .setLastEventAt(expiresAt.minusSeconds(1800))
        .setExpiresAt(expiresAt)
        .setEventId("ev")
        .setProtocol(Protocol.POP3)
        .setServerId("pop-01")
        .setEventCount(1)
        .build();
  }

  private String topic(String bootstrap) throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("cache") + ".");
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      TopicProvisioner.ensure(admin, topics, 3, -1);
    }
    return topics.grants();
  }

  private KafkaProducer<String, RelayGrant> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(
        p, new StringSerializer(), new AvroSerializer<>(RelayGrant.class, registry, true));
  }

  private GrantCache cache(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("reconnect.backoff.max.ms", "500");
    return new GrantCache(p, topic, registry, clock, Duration.ZERO);
  }

  @Test
  void shouldLoadFollowDeleteAndExpireExactlyAtExpiresAt() throws Exception {
    String bootstrap = KafkaBroker.bootstrapServers();
    String topic = topic(bootstrap);
    Instant expires = T.plusSeconds(600);
    try (KafkaProducer<String, RelayGrant> producer = producer(bootstrap)) {
      producer.send(new ProducerRecord<>(topic, "203.0.113.5", grant("203.0.113.5", expires)));
      producer.send(new ProducerRecord<>(topic, "203.0.113.6", grant("203.0.113.6", expires)));
      producer.send(new ProducerRecord<>(topic, "203.0.113.6", null));
      producer.send(
          new ProducerRecord<>(topic, "2001:db8:1:2::/64", grant("2001:db8:1:2::/64", expires)));
      producer.send(new ProducerRecord<>(topic, "not-a-key", grant("203.0.113.9", expires)));
      producer.flush();

      try (GrantCache cache = cache(bootstrap, topic)) {
        assertThat(cache.check("203.0.113.5").status())
            .as("not started: not ready, no grant")
            .isEqualTo(GrantLookup.Status.NOT_READY);
        cache.start();
        await().atMost(Duration.ofSeconds(30)).until(cache::isReady);

        assertThat(cache.check("203.0.113.5").granted()).isTrue();
        assertThat(cache.check("::ffff:203.0.113.5").granted()).isTrue();
        assertThat(cache.check("203.0.113.6").granted()).as("tombstoned").isFalse();
        assertThat(cache.check("2001:db8:1:2:ffff::77").granted()).as("prefix key").isTrue();
        assertThat(cache.check("2001:db8:1:3::1").granted()).isFalse();
        assertThat(cache.check("unknown").status()).isEqualTo(GrantLookup.Status.INVALID);
        assertThat(cache.undecodable()).isEqualTo(1);

        now.set(expires.toEpochMilli() - 1);
        assertThat(cache.check("203.0.113.5").granted()).isTrue();
        now.set(expires.toEpochMilli());
        assertThat(cache.check("203.0.113.5").granted())
            .as("no longer granted at expiresAt, tombstone or not")
            .isFalse();

        now.set(T.toEpochMilli());
        producer.send(new ProducerRecord<>(topic, "198.51.100.9", grant("198.51.100.9", expires)));
        producer.send(new ProducerRecord<>(topic, "203.0.113.5", null));
        producer.flush();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    cache.check("198.51.100.9").granted() && !cache.check("203.0.113.5").granted());
      }
    }
  }

  @Test
  void shouldKeepAnsweringWhileTheBrokerIsDownAndCatchUpWhenItReturns() throws Exception {
    EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"), Map.of());
    try {
      String bootstrap = broker.bootstrapServers();
      String topic = topic(bootstrap);
      Instant expires = T.plusSeconds(600);
      try (KafkaProducer<String, RelayGrant> producer = producer(bootstrap)) {
        producer
            .send(new ProducerRecord<>(topic, "203.0.113.5", grant("203.0.113.5", expires)))
            .get();
      }
      try (GrantCache cache = cache(bootstrap, topic).start()) {
        await().atMost(Duration.ofSeconds(30)).until(cache::isReady);

        broker.close();
        await().atMost(Duration.ofSeconds(30)).until(cache::isDegraded);
        assertThat(cache.check("203.0.113.5").granted()).as("answers from what it has").isTrue();
        now.set(expires.toEpochMilli());
        assertThat(cache.check("203.0.113.5").granted()).as("expiry still enforced").isFalse();
        now.set(T.toEpochMilli());

        broker = broker.restart();
        try (KafkaProducer<String, RelayGrant> producer = producer(bootstrap)) {
          producer
              .send(new ProducerRecord<>(topic, "198.51.100.7", grant("198.51.100.7", expires)))
              .get();
        }
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> !cache.isDegraded() && cache.check("198.51.100.7").granted());
      }
    } finally {
      broker.close();
    }
  }

  @Test
  void aColdEdgeNeverAnswersAGrantBeforeItHasCaughtUpThenAnswersLikeAWarmOne() throws Exception {
    String bootstrap = KafkaBroker.bootstrapServers();
    String topic = topic(bootstrap);
    Instant later = T.plus(Duration.ofHours(1));
    int keys = 30_000;
    try (KafkaProducer<String, RelayGrant> producer = producer(bootstrap);
        GrantCache warm = cache(bootstrap, topic).start()) {
      for (int i = 0; i < keys; i++) {
        String ip = "10.7." + (i >> 8) + "." + (i & 255);
        producer.send(new ProducerRecord<>(topic, ip, grant(ip, later)));
      }
      // a third of them ended since: granted first, then a tombstone further on in the topic
      for (int i = 0; i < keys / 3; i++) {
        String ip = "10.7." + (i >> 8) + "." + (i & 255);
        producer.send(new ProducerRecord<>(topic, ip, null));
      }
      producer.flush();
      await().atMost(Duration.ofSeconds(60)).until(warm::isReady);

      GrantCache cold = cache(bootstrap, topic);
      AtomicLong ended = new AtomicLong();
      AtomicLong grantedBeforeReady = new AtomicLong();
      AtomicLong probes = new AtomicLong();
      AtomicBoolean probing = new AtomicBoolean(true);
      Thread prober =
          new Thread(
              () -> {
                while (probing.get()) {
                  for (int i = 0; i < keys; i += 97) {
                    String ip = "10.7." + (i >> 8) + "." + (i & 255);
                    boolean readyBefore = cold.isReady();
                    boolean granted = cold.check(ip).granted();
                    probes.incrementAndGet();
                    if (granted && i < keys / 3) {
                      ended.incrementAndGet(); // a grant that had ended answered as live
                    }
                    if (granted && !readyBefore && !cold.isReady()) {
                      grantedBeforeReady.incrementAndGet();
                    }
                  }
                }
              },
              "cold-prober");
      prober.start();
      long started = System.nanoTime();
      try (cold) {
        cold.start();
        // more changes while it loads
        for (int i = keys / 3; i < keys / 3 + 2_000; i++) {
          String ip = "10.7." + (i >> 8) + "." + (i & 255);
          producer.send(new ProducerRecord<>(topic, ip, null));
        }
        producer.flush();
        await().atMost(Duration.ofSeconds(60)).until(cold::isReady);
        double readyAfter = (System.nanoTime() - started) / 1e9;
        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  for (int i = 0; i < keys; i += 7) {
                    String ip = "10.7." + (i >> 8) + "." + (i & 255);
                    assertThat(cold.check(ip).granted())
                        .as("cold and warm agree on %s", ip)
                        .isEqualTo(warm.check(ip).granted());
                  }
                });
        probing.set(false);
        prober.join(10_000);
        System.out.printf(
            "COLD-EDGE: %d grants (%d ended by tombstones, 2,000 more ended while it loaded):"
                + " ready after %.1f s; %d probes, %d grants before ready, %d ended grants answered"
                + " live; then it answered like the warm edge%n",
            keys, keys / 3, readyAfter, probes.get(), grantedBeforeReady.get(), ended.get());
        assertThat(grantedBeforeReady.get()).isZero();
        assertThat(ended.get()).isZero();
      }
    }
  }
}
