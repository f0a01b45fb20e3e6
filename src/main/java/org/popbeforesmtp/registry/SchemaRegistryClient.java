package org.popbeforesmtp.registry;

import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry REST API this project uses. Subjects follow the
 * topic-name strategy: {@code <topic>-value} and {@code <topic>-key}.
 *
 * <p>Every failure is a {@link SchemaRegistryException} that names the registry URL, the subject or
 * id, and the HTTP status when there was one.
 */
public interface SchemaRegistryClient extends AutoCloseable {

  /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
  int register(String subject, Schema schema);

  /**
   * The id of {@code schema} if it is already registered under {@code subject}; no registration.
   */
  int idOf(String subject, Schema schema);

  /** The schema with this global id. */
  Schema schemaById(int id);

  /** The latest version registered under {@code subject}. */
  SchemaVersion latest(String subject);

  /** True when {@code schema} may be registered under {@code subject} as its next version. */
  boolean isCompatible(String subject, Schema schema);

  /** Sets the compatibility level (e.g. {@code BACKWARD}) of {@code subject}. */
  void setCompatibility(String subject, String level);

  /** Where this client talks to, for messages. */
  String url();

  @Override
  default void close() {}

  /** One registered version of a subject. */
  record SchemaVersion(String subject, int version, int id, Schema schema) {}
}
