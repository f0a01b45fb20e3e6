package org.popbeforesmtp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.avro.RevocationScope;
import org.popbeforesmtp.testing.TestEvents;

class AvroSerdeTest {
  private static final String TOPIC = "mail.logins";

  private final String url = "mock://" + UUID.randomUUID();
  private final SchemaRegistryClient registry = SerdeConfig.of(url).newClient();
  private final Serde<LoginEvent> serde = AvroSerde.of(LoginEvent.class, registry, true, false);

  @Test
  void shouldRoundTripThroughTheRegistry() {
    LoginEvent event = TestEvents.login(Instant.parse("2026-11-26T10:00:00.123Z")).build();

    byte[] bytes = serde.serializer().serialize(TOPIC, event);

    assertThat(serde.deserializer().deserialize(TOPIC, bytes)).isEqualTo(event);
    assertThat(registry.latest(TOPIC + "-value").schema()).isEqualTo(LoginEvent.getClassSchema());
  }

  @Test
  void shouldWriteTheConfluentWireFormatByteForByte() {
    Revocation revocation =
        Revocation.newBuilder()
            .setScope(RevocationScope.USER)
            .setTarget("al")
            .setReason("r")
            .setIssuedBy("op")
            .setRevokedAt(Instant.ofEpochMilli(1))
            .build();
    Serde<Revocation> revocations = AvroSerde.of(Revocation.class, registry, true, false);

    byte[] bytes = revocations.serializer().serialize("relay.revocations", revocation);

    int id = registry.latest("relay.revocations-value").id();
    byte[] expected = {
      0,
      (byte) (id >>> 24),
      (byte) (id >>> 16),
      (byte) (id >>> 8),
      (byte) id,
      4, // enum index 2 (USER) as zig-zag varint
      4,
      'a',
      'l', // string "al": length 2 zig-zag, bytes
      2,
      'r',
      4,
      'o',
      'p',
      2 // long 1 zig-zag
    };
    assertThat(bytes).isEqualTo(expected);
  }

  @Test
  void shouldRegisterKeysUnderTheKeySubject() {
    Serde<Revocation> keySerde = AvroSerde.of(Revocation.class, registry, true, true);
    keySerde.serializer().serialize("t", revocation());
    assertThat(registry.latest("t-key").schema()).isEqualTo(Revocation.getClassSchema());
  }

  @Test
  void shouldRefuseToSerializeWhenNotAutoRegisteringAnUnknownSchema() {
    Serde<LoginEvent> strict = AvroSerde.of(LoginEvent.class, registry, false, false);
    assertThatThrownBy(
            () -> strict.serializer().serialize("other", TestEvents.login(Instant.EPOCH).build()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("other")
        .hasRootCauseInstanceOf(SchemaRegistryException.class);
  }

  @Test
  void shouldReadNullAsTombstone() {
    assertThat(serde.deserializer().deserialize(TOPIC, null)).isNull();
    assertThat(serde.serializer().serialize(TOPIC, null)).isNull();
  }

  @Test
  void shouldRejectBytesWithoutMagicByte() {
    byte[] bytes = serde.serializer().serialize(TOPIC, TestEvents.login(Instant.EPOCH).build());
    bytes[0] = 0x7b;
    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("0x7b")
        .hasMessageContaining("magic");
  }

  @Test
  void shouldRejectRecordsTooShortForTheHeader() {
    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, new byte[] {0, 0, 1}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("3 bytes")
        .hasMessageContaining("too short");
  }

  @Test
  void shouldRejectUnknownSchemaIdsNamingTheId() {
    byte[] bytes = serde.serializer().serialize(TOPIC, TestEvents.login(Instant.EPOCH).build());
    ByteBuffer.wrap(bytes).putInt(1, 987654);
    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown schema id 987654")
        .hasMessageContaining(url);
  }

  @Test
  void shouldRejectTruncatedAvro() {
    byte[] bytes = serde.serializer().serialize(TOPIC, TestEvents.login(Instant.EPOCH).build());
    byte[] truncated = Arrays.copyOf(bytes, bytes.length - 6);
    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, truncated))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("truncated or corrupt");
  }

  @Test
  void shouldRejectTrailingGarbage() {
    byte[] bytes = serde.serializer().serialize(TOPIC, TestEvents.login(Instant.EPOCH).build());
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, longer))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("bytes left");
  }

  @Test
  void shouldRejectAStringLengthBeyondAvrosLimitAsCorrupt() {
    // a flipped byte can turn a string's length into one Avro refuses with an
    // UnsupportedOperationException ("Cannot read strings longer than ..."): still bad bytes
    byte[] bytes = serde.serializer().serialize(TOPIC, TestEvents.login(Instant.EPOCH).build());
    byte[] huge = Arrays.copyOf(bytes, 5 + 5);
    byte[] length = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}; // 2^31 - 1
    System.arraycopy(length, 0, huge, 5, length.length);
    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, huge))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("truncated or corrupt");
  }

  @Test
  void shouldRejectGarbageAfterAValidHeader() {
    byte[] bytes = serde.serializer().serialize(TOPIC, TestEvents.login(Instant.EPOCH).build());
    byte[] garbage = Arrays.copyOf(bytes, 5 + 8);
    Arrays.fill(garbage, 5, garbage.length, (byte) 0xff);
    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, garbage))
        .isInstanceOf(SerializationException.class);
  }

  @Test
  void shouldReadRecordsWrittenWithAnOlderSchemaIntoTheCurrentClass() throws Exception {
    // v0 of Revocation lacked issuedBy; the current class must read it only if it had a default,
    // so use a writer schema that has an extra field instead (a newer writer, FORWARD direction)
    Schema newer =
        SchemaBuilder.record("Revocation")
            .namespace("org.popbeforesmtp.avro")
            .fields()
            .name("scope")
            .type(Revocation.getClassSchema().getField("scope").schema())
            .noDefault()
            .requiredString("target")
            .requiredString("reason")
            .requiredString("issuedBy")
            .name("revokedAt")
            .type(Revocation.getClassSchema().getField("revokedAt").schema())
            .noDefault()
            .name("ticket")
            .type()
            .stringType()
            .stringDefault("")
            .endRecord();
    registry.setCompatibility("newer-value", "NONE");
    int id = registry.register("newer-value", newer);
    GenericRecord record = new GenericData.Record(newer);
    record.put("scope", new GenericData.EnumSymbol(newer.getField("scope").schema(), "KEY"));
    record.put("target", "203.0.113.5");
    record.put("reason", "spam");
    record.put("issuedBy", "abuse-desk");
    record.put("revokedAt", 42L);
    record.put("ticket", "T-1");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {0, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(newer).write(record, encoder);
    encoder.flush();

    Revocation read =
        AvroSerde.of(Revocation.class, registry, true, false)
            .deserializer()
            .deserialize("newer", out.toByteArray());

    assertThat(read.getTarget()).isEqualTo("203.0.113.5");
    assertThat(read.getScope()).isEqualTo(RevocationScope.KEY);
    assertThat(read.getRevokedAt()).isEqualTo(Instant.ofEpochMilli(42));
  }

  @Test
  void shouldConfigureFromConfluentStyleKeys() {
    AvroSerializer<LoginEvent> serializer = new AvroSerializer<>(LoginEvent.class);
    serializer.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url), false);
    AvroDeserializer<LoginEvent> deserializer = new AvroDeserializer<>(LoginEvent.class);
    deserializer.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url), false);
    LoginEvent event = TestEvents.login(Instant.EPOCH).build();
    assertThat(deserializer.deserialize(TOPIC, serializer.serialize(TOPIC, event)))
        .isEqualTo(event);
  }

  @Test
  void shouldRequireARegistryUrl() {
    AvroSerializer<LoginEvent> serializer = new AvroSerializer<>(LoginEvent.class);
    assertThatThrownBy(() -> serializer.configure(Map.of(), false))
        .hasMessageContaining(SerdeConfig.SCHEMA_REGISTRY_URL);
    assertThatThrownBy(
            () ->
                serializer.configure(
                    Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "registry:8081"), false))
        .hasMessageContaining("registry:8081");
  }

  private static Revocation revocation() {
    return Revocation.newBuilder()
        .setScope(RevocationScope.KEY)
        .setTarget("203.0.113.5")
        .setReason("test")
        .setIssuedBy("op")
        .setRevokedAt(Instant.EPOCH)
        .build();
  }
}
