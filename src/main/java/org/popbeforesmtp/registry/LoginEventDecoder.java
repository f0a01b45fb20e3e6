package org.popbeforesmtp.registry;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;

/**
 * Decodes {@code mail.logins} values for a reader of history (audit replay), where decoding is a
 * sixth of the work: a record written with this build's own {@link LoginEvent} schema (the common
 * case, checked once per schema id against the registry) is read straight from the Confluent wire
 * format into the record, without Avro's resolving reader, its {@code Utf8} buffers and boxed
 * timestamp. Any other writer schema, and any record the direct path cannot read completely, goes
 * through {@link AvroDeserializer}, which resolves schemas and reports bad bytes with its reasons,
 * so both paths answer alike. Thread-safe.
 */
public final class LoginEventDecoder {
  private static final int HEADER_BYTES = 5;
  private static final Protocol[] PROTOCOLS = Protocol.values();
  private static final LoginKind[] KINDS = LoginKind.values();
  private static final Outcome[] OUTCOMES = Outcome.values();

  private final SchemaRegistryClient registry;
  private final AvroDeserializer<LoginEvent> general;

  /** Per schema id: whether its schema is the one this build compiled (direct path). */
  private final Map<Integer, Boolean> direct = new ConcurrentHashMap<>();

  public LoginEventDecoder(SchemaRegistryClient registry) {
    this.registry = registry;
    this.general = new AvroDeserializer<>(LoginEvent.class, registry);
  }

  /**
   * The login event in {@code data}, or null for a null value.
   *
   * @throws org.apache.kafka.common.errors.SerializationException as {@link AvroDeserializer} does
   */
  public LoginEvent decode(String topic, byte[] data) {
    if (data == null || data.length < HEADER_BYTES || data[0] != AvroSerializer.MAGIC_BYTE) {
      return general.deserialize(topic, data);
    }
    int id =
        (data[1] & 0xff) << 24 | (data[2] & 0xff) << 16 | (data[3] & 0xff) << 8 | data[4] & 0xff;
    if (!readsDirectly(id)) {
      return general.deserialize(topic, data);
    }
    LoginEvent event = new Reader(data).event();
    return event != null ? event : general.deserialize(topic, data);
  }

  /** Whether records of schema id {@code id} take the direct path (for tests). */
  boolean readsDirectly(int id) {
    Boolean known = direct.get(id);
    if (known != null) {
      return known;
    }
    try {
      boolean same = LoginEvent.getClassSchema().equals(registry.schemaById(id));
      direct.put(id, same);
      return same;
    } catch (RuntimeException e) {
      // the general path reports an unknown id or an unreachable registry; nothing is kept, so
      // an id first seen while the registry was away takes the direct path once it answers
      return false;
    }
  }

  /** Avro binary encoding of the LoginEvent fields, in schema order, after the wire header. */
  private static final class Reader {
    private final byte[] data;
    private int at = HEADER_BYTES;
    private boolean bad;

    Reader(byte[] data) {
      this.data = data;
    }

    /** The event, or null when the bytes are not a whole LoginEvent of the compiled schema. */
    LoginEvent event() {
      String eventId = string();
      long eventTime = varLong();
      String clientIp = string();
      String username = string();
      int protocol = (int) varLong();
      int kind = (int) varLong();
      int outcome = (int) varLong();
      String serverId = string();
      String source = string();
      long branch = varLong();
      String sessionId = branch == 1 ? string() : null;
      if (bad
          || at != data.length
          || branch < 0
          || branch > 1
          || protocol < 0
          || protocol >= PROTOCOLS.length
          || kind < 0
          || kind >= KINDS.length
          || outcome < 0
          || outcome >= OUTCOMES.length) {
        return null;
      }
      return new LoginEvent(
          eventId,
          Instant.ofEpochMilli(eventTime),
          clientIp,
          username,
          PROTOCOLS[protocol],
          KINDS[kind],
          OUTCOMES[outcome],
          serverId,
          source,
          sessionId);
    }

    /** A zig-zag varint (Avro int and long); flags the reader bad when it runs off the end. */
    private long varLong() {
      long n = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (at >= data.length) {
          bad = true;
          return 0;
        }
        byte b = data[at++];
        n |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return (n >>> 1) ^ -(n & 1);
        }
      }
      bad = true;
      return 0;
    }

    private String string() {
      long length = varLong();
      if (bad || length < 0 || length > data.length - at) {
        bad = true;
        return null;
      }
      String s = new String(data, at, (int) length, StandardCharsets.UTF_8);
      at += (int) length;
      return s;
    }
  }
}
