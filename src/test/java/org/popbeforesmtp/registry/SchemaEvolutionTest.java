package org.popbeforesmtp.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.testing.TestEvents;

/**
 * Every released version of the schemas is kept under {@code schema-history/vN/}: the current
 * schemas must read data written with each of them (BACKWARD, transitively), per Avro's own
 * checker.
 */
class SchemaEvolutionTest {
  private static final List<String> HISTORY = List.of("v1");
  private static final List<String> FILES =
      List.of(
          "Protocol",
          "LoginKind",
          "Outcome",
          "RevocationScope",
          "LoginEvent",
          "RelayGrant",
          "Revocation");
  private static final Map<String, Schema> CURRENT =
      Map.of(
          "LoginEvent", LoginEvent.getClassSchema(),
          "RelayGrant", RelayGrant.getClassSchema(),
          "Revocation", Revocation.getClassSchema());

  @Test
  void currentSchemasShouldReadEveryReleasedVersion() throws IOException {
    for (String version : HISTORY) {
      Map<String, Schema> old = load(version);
      for (var current : CURRENT.entrySet()) {
        var result =
            SchemaCompatibility.checkReaderWriterCompatibility(
                current.getValue(), old.get(current.getKey()));
        assertThat(result.getType())
            .as(
                "%s reads %s/%s: %s",
                current.getKey(), version, current.getKey(), result.getResult())
            .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
      }
    }
  }

  @Test
  void checkerShouldRefuseAFieldAddedWithoutDefault() throws IOException {
    Schema v1 = load("v1").get("Revocation");
    String json =
        v1.toString()
            .replace("\"fields\":[", "\"fields\":[{\"name\":\"ticket\",\"type\":\"string\"},");
    Schema v2 = new Schema.Parser().parse(json);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(v2, v1).getType())
        .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry("mock://evolution");
    registry.register("r-value", v1);
    assertThat(registry.isCompatible("r-value", v2)).isFalse();
  }

  @Test
  void v1WriterAndReaderShouldRoundTripAndTheCurrentClassReadsIt() throws IOException {
    Schema v1 = load("v1").get("LoginEvent");
    LoginEvent event =
        TestEvents.login(Instant.parse("2026-11-26T10:00:00Z")).setSessionId("S1").build();
    byte[] current = write(event);

    GenericRecord asV1 =
        new GenericDatumReader<GenericRecord>(LoginEvent.getClassSchema(), v1)
            .read(null, DecoderFactory.get().binaryDecoder(current, null));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(v1).write(asV1, encoder);
    encoder.flush();
    GenericRecord back =
        new GenericDatumReader<GenericRecord>(v1, v1)
            .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));

    assertThat(back).isEqualTo(asV1);
    assertThat(back.get("sessionId").toString()).isEqualTo("S1");
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry("mock://v1");
    int id = registry.register("mail.logins-value", v1);
    byte[] wire = new byte[5 + out.size()];
    ByteBuffer.wrap(wire).put((byte) 0).putInt(id).put(out.toByteArray());
    LoginEvent read =
        new AvroDeserializer<>(LoginEvent.class, registry).deserialize("mail.logins", wire);
    assertThat(read).isEqualTo(event);
  }

  @Test
  void everySchemaAndFieldShouldBeDocumented() throws IOException {
    for (Schema schema : load("v1").values()) {
      assertThat(schema.getDoc()).as(schema.getFullName()).isNotBlank();
    }
    for (Schema schema : CURRENT.values()) {
      assertThat(schema.getDoc()).as(schema.getFullName()).isNotBlank();
      for (Schema.Field field : schema.getFields()) {
        assertThat(field.doc()).as(schema.getName() + "." + field.name()).isNotBlank();
        if (field.schema().getType() == Schema.Type.ENUM) {
          assertThat(field.schema().getEnumDefault())
              .as(field.name() + " enum default")
              .isNotNull();
        }
      }
    }
  }

  private static byte[] write(LoginEvent event) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<LoginEvent>(LoginEvent.class).write(event, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static Map<String, Schema> load(String version) throws IOException {
    Schema.Parser parser = new Schema.Parser();
    Map<String, Schema> schemas = new LinkedHashMap<>();
    for (String name : FILES) {
      try (InputStream in =
          SchemaEvolutionTest.class.getResourceAsStream(
              "/schema-history/" + version + "/" + name + ".avsc")) {
        assertThat(in).as(version + "/" + name).isNotNull();
        schemas.put(name, parser.parse(in));
      }
    }
    return schemas;
  }
}
