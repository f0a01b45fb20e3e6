package org.popbeforesmtp.grants;

import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.Stores;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Revocation;

/**
 * The grant topology: {@code mail.logins} (LoginEvent by canonical IP) and {@code
 * relay.revocations} (Revocation) in, {@code relay.grants} (RelayGrant by grant key, compacted;
 * tombstone when a grant ends) out. Invalid records go to the dead-letter topic through the
 * processing exception handler (see {@code StreamsSettings}).
 *
 * <pre>
 * logins ─ validate ─┬─ keyed by grant key ──────────────────────────┐
 *                    └─ other key ─ rekey ─ [logins-by-grant-key] ───┤
 * revocations ─ validate ─ [revocations-broadcast: every partition] ─┴─ apply-grant-rules ─ grants
 * </pre>
 *
 * The rules keep their state in the stores of {@link StoreNames}: one value per grant key holding
 * its sessions (session windows with inactivity gap TTL, kept {@link
 * GrantPolicy#sessionRetention()}), plus an expiry index. relay.grants gets at most one record per
 * key per commit interval (the latest), as a cached KTable would emit.
 */
public final class GrantTopology {
  private GrantTopology() {}

  /**
   * Builds the topology. Pure: no I/O, no environment.
   *
   * @param partitions partition count of the logins topic; the internal topics get the same, so
   *     they are co-partitioned with it
   */
  public static Topology build(
      Topics topics, GrantSerdes serdes, GrantPolicy policy, int partitions) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
    }
    GrantRules rules = new GrantRules(policy);
    StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(namingConfig()));

    KStream<String, LoginEvent> logins =
        builder.stream(
            topics.logins(),
            Consumed.with(Serdes.String(), DecodeFailureHeader.wrap(serdes.logins()))
                .withName("logins-source"));
    Map<String, KStream<String, LoginEvent>> routes =
        logins
            .processValues(() -> new ValidateLogin(rules), Named.as("validate-logins"))
            .split(Named.as("logins-"))
            .branch(
                (key, login) -> policy.keys().keyOf(login.getClientIp()).equals(key),
                Branched.as("keyed-by-grant-key"))
            .defaultBranch(Branched.as("keyed-otherwise"));
    KStream<String, LoginEvent> rekeyed =
        routes
            .get("logins-keyed-otherwise")
            .selectKey(
                (key, login) -> policy.keys().keyOf(login.getClientIp()),
                Named.as("rekey-by-grant-key"))
            .repartition(
                Repartitioned.<String, LoginEvent>as(StoreNames.REKEY_REPARTITION)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(serdes.logins())
                    .withNumberOfPartitions(partitions));
    KStream<String, SpecificRecord> loginInputs =
        routes
            .get("logins-keyed-by-grant-key")
            .merge(rekeyed, Named.as("merge-logins"))
            .mapValues(login -> (SpecificRecord) login, Named.as("logins-as-input"));

    KStream<String, SpecificRecord> revocationInputs =
        builder.stream(
                topics.revocations(),
                Consumed.with(Serdes.String(), DecodeFailureHeader.wrap(serdes.revocations()))
                    .withName("revocations-source"))
            .processValues(ValidateRevocation::new, Named.as("validate-revocations"))
            .repartition(
                Repartitioned.<String, Revocation>as(StoreNames.REVOCATION_BROADCAST)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(serdes.revocations())
                    .withNumberOfPartitions(partitions)
                    .withStreamPartitioner(new BroadcastPartitioner<>()))
            .mapValues(revocation -> (SpecificRecord) revocation, Named.as("revocations-as-input"));

    addStores(builder);
    loginInputs
        .merge(revocationInputs, Named.as("merge-inputs"))
        .process(
            () -> new GrantProcessor(rules),
            Named.as("apply-grant-rules"),
            StoreNames.KEY_STATE,
            StoreNames.EXPIRY_INDEX,
            StoreNames.REVOCATIONS,
            StoreNames.COUNTERS)
        .to(
            topics.grants(),
            Produced.with(Serdes.String(), serdes.grants()).withName("grants-sink"));
    return builder.build();
  }

  /** The stores of {@link StoreNames} (see there for why each is cached or not). */
  private static void addStores(StreamsBuilder builder) {
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.KEY_STATE),
                Serdes.String(),
                new KeyStateSerde())
            // written back once per commit by the processor itself (see KafkaGrantStore)
            .withCachingDisabled());
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.EXPIRY_INDEX),
                Serdes.Bytes(),
                Serdes.ByteArray())
            // written once per new key: a cache would collapse almost nothing and its flush
            // (with a metric per entry) cost a sixth of the stream thread
            .withCachingDisabled());
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(StoreNames.REVOCATIONS),
            Serdes.String(),
            Serdes.Long()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.COUNTERS), Serdes.String(), Serdes.Long())
            .withCachingEnabled());
  }

  /** Only for the topology-level settings of the builder; the app's own config comes at start. */
  private static StreamsConfig namingConfig() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "grant-topology");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    return new StreamsConfig(props);
  }

  private static void failIfUndecodable(Headers headers) {
    String reason = DecodeFailureHeader.reason(headers);
    if (reason != null) {
      throw new InvalidEventException("undecodable value: " + reason);
    }
  }

  /** Checks each login before anything else; a bad one goes to the dead-letter topic. */
  private static final class ValidateLogin
      implements FixedKeyProcessor<String, LoginEvent, LoginEvent> {
    private final GrantRules rules;
    private FixedKeyProcessorContext<String, LoginEvent> context;

    ValidateLogin(GrantRules rules) {
      this.rules = rules;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, LoginEvent> context) {
      this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, LoginEvent> record) {
      failIfUndecodable(record.headers());
      rules.validate(record.value(), context.currentSystemTimeMs());
      context.forward(record);
    }
  }

  /** Canonicalizes revocation targets once, before they are copied to every partition. */
  private static final class ValidateRevocation
      implements FixedKeyProcessor<String, Revocation, Revocation> {
    private FixedKeyProcessorContext<String, Revocation> context;

    @Override
    public void init(FixedKeyProcessorContext<String, Revocation> context) {
      this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, Revocation> record) {
      failIfUndecodable(record.headers());
      Revocation revocation = record.value();
      if (revocation == null) {
        throw new InvalidEventException("revocation value is null");
      }
      if (revocation.getTarget() == null || revocation.getTarget().isBlank()) {
        throw new InvalidEventException("revocation target is missing");
      }
      GrantRules.requireShort("revocation target", revocation.getTarget());
      switch (revocation.getScope()) {
        case KEY -> {
          Revocation canonical = Revocation.newBuilder(revocation).build();
          canonical.setTarget(GrantRules.canonicalTarget(revocation.getTarget()));
          context.forward(record.withValue(canonical));
        }
        case USER -> context.forward(record);
        default ->
            throw new InvalidEventException(
                "revocation scope " + revocation.getScope() + " is unknown: expected KEY or USER");
      }
    }
  }
}
