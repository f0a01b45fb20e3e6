package org.popbeforesmtp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.testing.ApicurioRegistry;
import org.popbeforesmtp.testing.TestEvents;

/** The REST client and serdes against a real registry speaking the Confluent API (Apicurio). */
class ApicurioRegistryIT {
  @TempDir static Path dir;
  private static ApicurioRegistry apicurio;

  @BeforeAll
  static void start() throws Exception {
    apicurio = ApicurioRegistry.start(dir);
  }

  @AfterAll
  static void stop() {
    if (apicurio != null) {
      apicurio.close();
    }
  }

  private RestSchemaRegistryClient client() {
    return new RestSchemaRegistryClient(apicurio.url(), Duration.ofSeconds(5), null);
  }

  @Test
  void shouldRegisterSerializeAndDeserializeById() {
    String topic = "logins-" + UUID.randomUUID();
    Serde<LoginEvent> writerSide = AvroSerde.of(LoginEvent.class, client(), true, false);
    Serde<LoginEvent> readerSide = AvroSerde.of(LoginEvent.class, client(), false, false);
    LoginEvent event = TestEvents.login(Instant.parse("2026-11-26T10:00:00Z")).build();

    byte[] bytes = writerSide.serializer().serialize(topic, event);

    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    assertThat(bytes[0]).isZero();
    RestSchemaRegistryClient fresh = client();
    assertThat(fresh.schemaById(id)).isEqualTo(LoginEvent.getClassSchema());
    assertThat(fresh.latest(topic + "-value").id()).isEqualTo(id);
    assertThat(fresh.idOf(topic + "-value", LoginEvent.getClassSchema())).isEqualTo(id);
    assertThat(readerSide.deserializer().deserialize(topic, bytes)).isEqualTo(event);
  }

  @Test
  void shouldRefuseAnIncompatibleSchemaUnderBackward() {
    String subject = "revocations-" + UUID.randomUUID() + "-value";
    RestSchemaRegistryClient client = client();
    Schema v1 =
        new Schema.Parser()
            .parse(
                "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
    Schema v2 =
        new Schema.Parser()
            .parse(
                "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
                    + "{\"name\":\"b\",\"type\":\"string\"}]}");
    client.register(subject, v1);
    client.setCompatibility(subject, "BACKWARD");

    assertThat(client.isCompatible(subject, v2)).isFalse();
    assertThatThrownBy(() -> client.register(subject, v2))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(409))
        .hasMessageContaining(subject);
  }

  @Test
  void shouldTurnAnUnknownIdIntoAClearError() {
    byte[] bytes = ByteBuffer.allocate(6).put((byte) 0).putInt(999_999).put((byte) 2).array();
    assertThatThrownBy(
            () -> new AvroDeserializer<>(LoginEvent.class, client()).deserialize("t", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown schema id 999999")
        .hasMessageContaining(apicurio.url())
        .cause()
        .hasMessageContaining("HTTP 404");
  }
}
