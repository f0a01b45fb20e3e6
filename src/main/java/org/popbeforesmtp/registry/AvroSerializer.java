package org.popbeforesmtp.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes a SpecificRecord in the Confluent wire format: magic byte 0, the 4-byte big-endian schema
 * id, then Avro binary. The schema is registered (or looked up) under {@code <topic>-value} or
 * {@code <topic>-key} once per subject and cached.
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
  static final byte MAGIC_BYTE = 0;

  private final Schema schema;
  private final DatumWriter<T> writer;
  private final Map<String, Integer> idsBySubject = new ConcurrentHashMap<>();
  private SchemaRegistryClient registry;
  private boolean autoRegister;
  private boolean isKey;

  /** A serializer that takes its registry from {@link #configure}. */
  public AvroSerializer(Class<T> type) {
    SpecificData model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.writer = new SpecificDatumWriter<>(schema, model);
  }

  /** A ready serializer on a given registry client. */
  public AvroSerializer(Class<T> type, SchemaRegistryClient registry, boolean autoRegister) {
    this(type);
    this.registry = registry;
    this.autoRegister = autoRegister;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
    if (registry == null) {
      SerdeConfig config = SerdeConfig.fromMap(configs);
      this.registry = config.newClient();
      this.autoRegister = config.autoRegister();
    }
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    if (registry == null) {
      throw new SerializationException(
          "AvroSerializer for " + schema.getFullName() + " is not configured with a registry");
    }
    String subject = topic + (isKey ? "-key" : "-value");
    int id;
    try {
      id =
          idsBySubject.computeIfAbsent(
              subject, s -> autoRegister ? registry.register(s, schema) : registry.idOf(s, schema));
    } catch (SchemaRegistryException e) {
      throw new SerializationException(
          "cannot get a schema id for "
              + schema.getFullName()
              + " on topic "
              + topic
              + ": "
              + e.getMessage(),
          e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    out.write(MAGIC_BYTE);
    out.write(id >>> 24);
    out.write(id >>> 16);
    out.write(id >>> 8);
    out.write(id);
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(data, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot write " + schema.getFullName() + " for topic " + topic + ": " + e.getMessage(),
          e);
    }
    return out.toByteArray();
  }
}
