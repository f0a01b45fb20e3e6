package org.popbeforesmtp.bench;

import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.GrantSerdes;

/**
 * What Kafka Streams itself does with the processor's backlog, as yardsticks measured in the same
 * run on the same broker: exactly_once_v2, commit interval 100 ms, the processor's thread count.
 */
enum Ceilings {
  /** Stateless: every record read and written again, bytes untouched. */
  PASSTHROUGH("stateless passthrough"),
  /** One cached state-store get and put per record (bytes), then forwarded. */
  GET_PUT("one cached store get+put"),
  /**
   * The least a grant processor must do per login: decode the Avro value, one cached store get and
   * put for its key (the key's expiry), encode one Avro RelayGrant and forward it.
   */
  LEAST_GRANT_PROCESSOR("decode + get+put + encode");

  private static final String STORE = "ceiling-store";

  final String label;

  Ceilings(String label) {
    this.label = label;
  }

  /** The yardstick's topology from {@code in} to {@code out}. */
  Topology topology(String in, String out, GrantSerdes serdes, GrantPolicy policy) {
    StreamsBuilder builder = new StreamsBuilder();
    switch (this) {
      case PASSTHROUGH -> builder.stream(in, Consumed.with(Serdes.Bytes(), Serdes.Bytes())).to(out);
      case GET_PUT -> {
        builder.addStateStore(
            Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore(STORE), Serdes.Bytes(), Serdes.Bytes())
                .withCachingEnabled());
        builder.stream(in, Consumed.with(Serdes.Bytes(), Serdes.Bytes()))
            .process(GetPut::new, Named.as("get-put"), STORE)
            .to(out, Produced.with(Serdes.Bytes(), Serdes.Bytes()));
      }
      case LEAST_GRANT_PROCESSOR -> {
        builder.addStateStore(
            Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.Long())
                .withCachingEnabled());
        builder.stream(in, Consumed.with(Serdes.String(), serdes.logins()))
            .process(() -> new LeastGrant(policy), Named.as("least-grant"), STORE)
            .to(out, Produced.with(Serdes.String(), serdes.grants()));
      }
    }
    return builder.build();
  }

  /** Streams settings shared by every yardstick and the processor runs they are compared with. */
  static Properties streamsProps(String appId, String bootstrap, String stateDir, int threads) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    return p;
  }

  private static final class GetPut implements Processor<Bytes, Bytes, Bytes, Bytes> {
    private ProcessorContext<Bytes, Bytes> context;
    private KeyValueStore<Bytes, Bytes> store;

    @Override
    public void init(ProcessorContext<Bytes, Bytes> context) {
      this.context = context;
      this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<Bytes, Bytes> record) {
      store.get(record.key()); // the read every stateful processor makes before it writes
      store.put(record.key(), record.value());
      context.forward(record);
    }
  }

  private static final class LeastGrant
      implements Processor<String, LoginEvent, String, RelayGrant> {
    private final GrantPolicy policy;
    private ProcessorContext<String, RelayGrant> context;
    private KeyValueStore<String, Long> store;

    LeastGrant(GrantPolicy policy) {
      this.policy = policy;
    }

    @Override
    public void init(ProcessorContext<String, RelayGrant> context) {
      this.context = context;
      this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, LoginEvent> record) {
      LoginEvent login = record.value();
      long time = login.getEventTime().toEpochMilli();
      Long before = store.get(record.key());
      long expiresAt = Math.max(before == null ? 0 : before, policy.expiresAt(time));
      store.put(record.key(), expiresAt);
      RelayGrant grant =
          RelayGrant.newBuilder()
              .setKey(record.key())
              .setClientIp(login.getClientIp())
              .setUsername(login.getUsername())
              .setGrantedAt(login.getEventTime())
              .setLastEventAt(login.getEventTime())
              .setExpiresAt(Instant.ofEpochMilli(expiresAt))
              .setEventId(login.getEventId())
              .setProtocol(login.getProtocol())
              .setServerId(login.getServerId())
              .setEventCount(1)
              .build();
      context.forward(record.withValue(grant));
    }
  }
}
