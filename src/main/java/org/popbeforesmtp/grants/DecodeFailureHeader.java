package org.popbeforesmtp.grants;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.popbeforesmtp.registry.SchemaRegistryException;

/**
 * Wraps a source deserializer so that undecodable bytes become a null value with the reason in a
 * header; the validating processor then fails the record, and the processing exception handler
 * writes it to the dead-letter topic with its original bytes. Undecodable and invalid records thus
 * take one path (and one format) to the dead-letter topic.
 */
final class DecodeFailureHeader<T> implements Deserializer<T> {
  /** Header carrying why the value could not be decoded. */
  static final String HEADER = "pop-before-smtp.decode-error";

  private final Deserializer<T> inner;

  private DecodeFailureHeader(Deserializer<T> inner) {
    this.inner = inner;
  }

  /** {@code serde} with its deserializer wrapped. */
  static <T> Serde<T> wrap(Serde<T> serde) {
    return Serdes.serdeFrom(serde.serializer(), new DecodeFailureHeader<>(serde.deserializer()));
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    return inner.deserialize(topic, data);
  }

  @Override
  public T deserialize(String topic, Headers headers, byte[] data) {
    try {
      return inner.deserialize(topic, headers, data);
    } catch (RuntimeException e) {
      if (SchemaRegistryException.unavailableIn(e) != null) {
        throw e; // not a bad record: the processor waits for the registry (DeadLetterHandler)
      }
      headers.remove(HEADER);
      headers.add(HEADER, String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
      return null;
    }
  }

  /** The decode failure recorded on a record, or null. */
  static String reason(Headers headers) {
    Header h = headers.lastHeader(HEADER);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
