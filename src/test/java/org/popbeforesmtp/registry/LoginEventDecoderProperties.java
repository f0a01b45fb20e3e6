package org.popbeforesmtp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;

/**
 * The direct decoding path answers exactly as Avro's resolving reader does: the same event for
 * every record of the compiled schema, the same error for bad bytes, and the general path for
 * records of any other writer schema.
 */
class LoginEventDecoderProperties {
  private static final String TOPIC = "mail.logins";

  private final SchemaRegistryClient registry =
      SerdeConfig.of("mock://" + UUID.randomUUID()).newClient();
  private final AvroSerializer<LoginEvent> serializer =
      new AvroSerializer<>(LoginEvent.class, registry, true);
  private final AvroDeserializer<LoginEvent> avro =
      new AvroDeserializer<>(LoginEvent.class, registry);
  private final LoginEventDecoder decoder = new LoginEventDecoder(registry);

  @Property(tries = 500)
  void shouldDecodeEveryEventAsAvroDoes(@ForAll("events") LoginEvent event) {
    byte[] bytes = serializer.serialize(TOPIC, event);

    assertThat(decoder.decode(TOPIC, bytes))
        .isEqualTo(avro.deserialize(TOPIC, bytes))
        .isEqualTo(event);
    assertThat(decoder.readsDirectly(ByteBuffer.wrap(bytes, 1, 4).getInt())).isTrue();
  }

  @Property(tries = 200)
  void shouldFailOnBadBytesAsAvroDoes(
      @ForAll("events") LoginEvent event, @ForAll("damage") int damage) {
    byte[] bytes = serializer.serialize(TOPIC, event);
    byte[] bad =
        switch (Math.floorMod(damage, 3)) {
          case 0 -> Arrays.copyOf(bytes, 5 + Math.floorMod(damage, bytes.length - 5)); // cut
          case 1 -> Arrays.copyOf(bytes, bytes.length + 1); // a byte too many
          default -> {
            byte[] b = bytes.clone();
            // low bits only: a varint keeps its length in bytes, so a length stays small (a
            // flipped continuation bit can make Avro allocate a claimed length of up to 2 GB
            // before it finds the bytes missing; AvroSerdeTest covers a length beyond its limit)
            b[5 + Math.floorMod(damage, bytes.length - 5)] ^= (byte) (1 + (damage >>> 8) % 127);
            yield b; // a flipped byte: may still be a valid event, then both agree on it
          }
        };
    LoginEvent expected;
    try {
      expected = avro.deserialize(TOPIC, bad);
    } catch (SerializationException e) {
      assertThatThrownBy(() -> decoder.decode(TOPIC, bad))
          .isInstanceOf(SerializationException.class)
          .hasMessage(e.getMessage());
      return;
    }
    assertThat(decoder.decode(TOPIC, bad)).isEqualTo(expected);
  }

  @Example
  void shouldTakeTheGeneralPathForAnotherWriterSchema() throws IOException {
    // an older writer: no sessionId field
    Schema older =
        SchemaBuilder.record("LoginEvent")
            .namespace("org.popbeforesmtp.avro")
            .fields()
            .requiredString("eventId")
            .name("eventTime")
            .type(LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG)))
            .noDefault()
            .requiredString("clientIp")
            .requiredString("username")
            .name("protocol")
            .type(LoginEvent.getClassSchema().getField("protocol").schema())
            .noDefault()
            .name("kind")
            .type(LoginEvent.getClassSchema().getField("kind").schema())
            .noDefault()
            .name("outcome")
            .type(LoginEvent.getClassSchema().getField("outcome").schema())
            .noDefault()
            .requiredString("serverId")
            .requiredString("source")
            .endRecord();
    int id = registry.register(TOPIC + "-value", older);
    GenericRecord record = new GenericData.Record(older);
    record.put("eventId", "e-1");
    record.put("eventTime", 1_700_000_000_123L);
    record.put("clientIp", "192.0.2.1");
    record.put("username", "alice");
    record.put("protocol", new GenericData.EnumSymbol(older.getField("protocol").schema(), "IMAP"));
    record.put("kind", new GenericData.EnumSymbol(older.getField("kind").schema(), "LOGIN"));
    record.put(
        "outcome", new GenericData.EnumSymbol(older.getField("outcome").schema(), "SUCCESS"));
    record.put("serverId", "imap-1");
    record.put("source", "test");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(older).write(record, encoder);
    encoder.flush();
    byte[] bytes = out.toByteArray();

    LoginEvent decoded = decoder.decode(TOPIC, bytes);

    assertThat(decoder.readsDirectly(id)).isFalse();
    assertThat(decoded).isEqualTo(avro.deserialize(TOPIC, bytes));
    assertThat(decoded.getSessionId()).isNull();
    assertThat(decoded.getEventTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
  }

  @Example
  void shouldSeeTheCompiledSchemaInItsJsonText() {
    // a REST registry returns the schema as text: parsed, it must still select the direct path
    assertThat(new Schema.Parser().parse(LoginEvent.getClassSchema().toString()))
        .isEqualTo(LoginEvent.getClassSchema());
  }

  @Provide
  Arbitrary<Integer> damage() {
    return Arbitraries.integers().between(0, Integer.MAX_VALUE);
  }

  @Provide
  Arbitrary<LoginEvent> events() {
    Arbitrary<String> text =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(40),
            Arbitraries.strings().alpha().numeric().ofMaxLength(200),
            Arbitraries.of("", "ü€\uD83D\uDE00", "10.0.0.1", "2001:db8::1"));
    return Combinators.combine(
            Combinators.combine(text, text, text, text)
                .as((a, b, c, d) -> new String[] {a, b, c, d}),
            Arbitraries.longs().between(-62_135_596_800_000L, 253_402_300_799_999L),
            Arbitraries.of(Protocol.class),
            Arbitraries.of(LoginKind.class),
            Arbitraries.of(Outcome.class),
            text,
            text.injectNull(0.5))
        .as(
            (s, time, protocol, kind, outcome, source, session) ->
                new LoginEvent(
                    s[0],
                    Instant.ofEpochMilli(time),
                    s[1],
                    s[2],
                    protocol,
                    kind,
                    outcome,
                    s[3],
                    source,
                    session));
  }
}
