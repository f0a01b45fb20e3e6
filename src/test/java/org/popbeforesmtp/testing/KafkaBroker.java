package org.popbeforesmtp.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.popbeforesmtp.runtime.EmbeddedKafka;

/**
 * JUnit 5 extension: one real Kafka broker for the whole test run, started on first use and stopped
 * when the run ends. Tests use unique topic names and application ids ({@link #unique}).
 */
public final class KafkaBroker implements BeforeAllCallback {
  private static EmbeddedKafka broker;

  @Override
  public void beforeAll(ExtensionContext context) {
    context
        .getRoot()
        .getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(KafkaBroker.class, k -> new Handle(), Handle.class);
  }

  /** {@code host:port} of the shared broker. */
  public static synchronized String bootstrapServers() {
    if (broker == null) {
      try {
        broker = EmbeddedKafka.start(Files.createTempDirectory("kafka-it"), Map.of());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return broker.bootstrapServers();
  }

  /** A name no other test uses: {@code prefix-<random>}. */
  public static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static final class Handle implements AutoCloseable {
    Handle() {
      bootstrapServers();
    }

    @Override
    public void close() {
      synchronized (KafkaBroker.class) {
        if (broker != null) {
          broker.close();
          broker = null;
        }
      }
    }
  }
}
