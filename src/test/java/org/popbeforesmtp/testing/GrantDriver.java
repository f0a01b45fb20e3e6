package org.popbeforesmtp.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.config.StreamsSettings;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.GrantSerdes;
import org.popbeforesmtp.grants.GrantTopology;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.registry.SerdeConfig;

/**
 * The grant topology in a TopologyTestDriver, built and configured exactly as production does, on a
 * fresh {@code mock://} registry scope. The wall clock starts at {@link #T0}.
 */
public final class GrantDriver implements AutoCloseable {
  public static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

  public final Topics topics = Topics.defaults();
  public final GrantPolicy policy;
  public final GrantSerdes serdes;
  public final TopologyTestDriver driver;
  public final TestInputTopic<String, LoginEvent> logins;
  public final TestInputTopic<byte[], byte[]> rawLogins;
  public final TestInputTopic<String, Revocation> revocations;
  public final TestInputTopic<byte[], byte[]> rawRevocations;
  public final TestOutputTopic<String, RelayGrant> grants;
  public final TestOutputTopic<byte[], byte[]> deadLetters;
  private Instant now = T0;

  public GrantDriver(GrantPolicy policy, Path stateDir) {
    this.policy = policy;
    this.serdes = GrantSerdes.of(SerdeConfig.of("mock://" + UUID.randomUUID()).newClient(), true);
    Properties props =
        StreamsSettings.grantProcessor(
            "grants-test-" + UUID.randomUUID(),
            "dummy:9092",
            topics,
            Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString()));
    this.driver = new TopologyTestDriver(GrantTopology.build(topics, serdes, policy, 1), props, T0);
    this.logins =
        driver.createInputTopic(
            topics.logins(), new StringSerializer(), serdes.logins().serializer());
    this.rawLogins =
        driver.createInputTopic(
            topics.logins(), new ByteArraySerializer(), new ByteArraySerializer());
    this.revocations =
        driver.createInputTopic(
            topics.revocations(), new StringSerializer(), serdes.revocations().serializer());
    this.rawRevocations =
        driver.createInputTopic(
            topics.revocations(), new ByteArraySerializer(), new ByteArraySerializer());
    this.grants =
        driver.createOutputTopic(
            topics.grants(), new StringDeserializer(), serdes.grants().deserializer());
    this.deadLetters =
        driver.createOutputTopic(
            topics.deadLetters(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The current wall-clock time of the driver. */
  public Instant now() {
    return now;
  }

  /** Advances the wall clock (runs due punctuators). */
  public void advance(Duration d) {
    now = now.plus(d);
    driver.advanceWallClockTime(d);
  }

  /**
   * Pipes a login keyed as producers key it (the grant key of its client IP, or the raw text when
   * that is no address), with record time = now.
   */
  public void login(LoginEvent event) {
    String key;
    try {
      key = policy.keys().keyOf(event.getClientIp());
    } catch (IllegalArgumentException e) {
      key = event.getClientIp();
    }
    logins.pipeInput(new TestRecord<>(key, event, null, now.toEpochMilli()));
  }

  public void revoke(Revocation revocation) {
    revocations.pipeInput(
        new TestRecord<>(revocation.getTarget(), revocation, null, now.toEpochMilli()));
  }

  /** All records emitted to relay.grants since the last call, in order. */
  public List<TestRecord<String, RelayGrant>> emitted() {
    return grants.readRecordsToList();
  }

  /** Folds records into the compacted view: key → latest value (absent after a tombstone). */
  public static Map<String, RelayGrant> compact(
      Map<String, RelayGrant> table, List<TestRecord<String, RelayGrant>> records) {
    for (TestRecord<String, RelayGrant> r : records) {
      if (r.value() == null) {
        table.remove(r.key());
      } else {
        table.put(r.key(), r.value());
      }
    }
    return table;
  }

  /** A fresh compacted view of everything emitted so far (consumes the output). */
  public Map<String, RelayGrant> compacted() {
    return compact(new LinkedHashMap<>(), new ArrayList<>(emitted()));
  }

  @Override
  public void close() {
    driver.close();
  }
}
