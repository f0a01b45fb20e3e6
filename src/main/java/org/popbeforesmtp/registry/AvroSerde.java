package org.popbeforesmtp.registry;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Serde pairs for SpecificRecord classes in the Confluent wire format. */
public final class AvroSerde {
  private AvroSerde() {}

  /** A configured value (or key) serde of {@code type} on {@code registry}. */
  public static <T extends SpecificRecord> Serde<T> of(
      Class<T> type, SchemaRegistryClient registry, boolean autoRegister, boolean isKey) {
    AvroSerializer<T> serializer = new AvroSerializer<>(type, registry, autoRegister);
    AvroDeserializer<T> deserializer = new AvroDeserializer<>(type, registry);
    serializer.configure(Map.of(), isKey);
    deserializer.configure(Map.of(), isKey);
    return Serdes.serdeFrom(serializer, deserializer);
  }

  /** A configured value serde of {@code type} for {@code config}. */
  public static <T extends SpecificRecord> Serde<T> value(Class<T> type, SerdeConfig config) {
    return of(type, config.newClient(), config.autoRegister(), false);
  }
}
