package org.popbeforesmtp.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads the Confluent wire format into a SpecificRecord class. The writer schema comes from the
 * registry by the id in the record and is resolved against the class's own schema, so records
 * written with an older or newer compatible schema decode. Bad bytes raise a {@link
 * SerializationException} that says what was wrong; a null value (tombstone) reads as null.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
  private static final int HEADER_BYTES = 5;
  private static final Set<String> TRUSTED_PACKAGES = ConcurrentHashMap.newKeySet();

  private final Schema readerSchema;
  private final SpecificData model;
  private final Map<Integer, DatumReader<T>> readersById = new ConcurrentHashMap<>();
  private SchemaRegistryClient registry;

  /** A deserializer that takes its registry from {@link #configure}. */
  public AvroDeserializer(Class<T> type) {
    trustPackageOf(type);
    this.model = SpecificData.getForClass(type);
    this.readerSchema = model.getSchema(type);
  }

  /** A ready deserializer on a given registry client. */
  public AvroDeserializer(Class<T> type, SchemaRegistryClient registry) {
    this(type);
    this.registry = registry;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (registry == null) {
      this.registry = SerdeConfig.fromMap(configs).newClient();
    }
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (registry == null) {
      throw new SerializationException(
          "AvroDeserializer for " + readerSchema.getFullName() + " is not configured");
    }
    if (data.length < HEADER_BYTES) {
      throw new SerializationException(
          "record of "
              + data.length
              + " bytes on topic "
              + topic
              + " is too short for the Confluent wire format (magic byte + 4-byte schema id)");
    }
    if (data[0] != AvroSerializer.MAGIC_BYTE) {
      throw new SerializationException(
          String.format(
              "record on topic %s starts with byte 0x%02x, not the Confluent wire format's magic"
                  + " byte 0x00 (was it written by an Avro serializer with a schema registry?)",
              topic, data[0]));
    }
    int id = ByteBuffer.wrap(data, 1, 4).getInt();
    DatumReader<T> reader = readerFor(id, topic);
    BinaryDecoder decoder =
        DecoderFactory.get().binaryDecoder(data, HEADER_BYTES, data.length - HEADER_BYTES, null);
    T value;
    try {
      value = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new SerializationException(
            "record on topic "
                + topic
                + " has bytes left after the "
                + readerSchema.getFullName()
                + " written with schema id "
                + id
                + ": corrupt or not Avro");
      }
    } catch (IOException
        | AvroRuntimeException
        | IndexOutOfBoundsException
        | UnsupportedOperationException e) {
      // UnsupportedOperationException: Avro's limit check on a length read from corrupt bytes
      // ("Cannot read strings longer than ...")
      throw new SerializationException(
          "record on topic "
              + topic
              + " with schema id "
              + id
              + " is truncated or corrupt Avro ("
              + data.length
              + " bytes): "
              + e,
          e);
    } catch (ClassCastException | NegativeArraySizeException e) {
      throw new SerializationException(
          "record on topic " + topic + " with schema id " + id + " is corrupt Avro: " + e, e);
    }
    return value;
  }

  /**
   * Avro 1.12 refuses to instantiate classes it has not been told to trust; the generated record
   * classes this deserializer was made for (and their enums, in the same package) are trusted.
   */
  private static void trustPackageOf(Class<?> type) {
    String pkg = type.getPackageName();
    synchronized (TRUSTED_PACKAGES) {
      if (TRUSTED_PACKAGES.add(pkg)) {
        ClassSecurityValidator.setGlobal(
            ClassSecurityValidator.composite(
                ClassSecurityValidator.getGlobal(), c -> c.getPackageName().equals(pkg)));
      }
    }
  }

  private DatumReader<T> readerFor(int id, String topic) {
    DatumReader<T> cached = readersById.get(id);
    if (cached != null) {
      return cached;
    }
    Schema writer;
    try {
      writer = registry.schemaById(id);
    } catch (SchemaRegistryException e) {
      String what =
          e.status() == SchemaRegistryException.NOT_FOUND
              ? "unknown schema id " + id
              : "cannot fetch schema id " + id;
      throw new SerializationException(
          what + " in a record on topic " + topic + " (registry " + registry.url() + ")", e);
    }
    DatumReader<T> reader;
    try {
      reader = new SpecificDatumReader<>(writer, readerSchema, model);
    } catch (AvroRuntimeException e) {
      throw new SerializationException(
          "schema id " + id + " cannot be read as " + readerSchema.getFullName() + ": " + e, e);
    }
    readersById.putIfAbsent(id, reader);
    return reader;
  }
}
