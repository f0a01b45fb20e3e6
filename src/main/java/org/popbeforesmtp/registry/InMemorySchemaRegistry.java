package org.popbeforesmtp.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * A schema registry held in memory, for unit tests and dev mode only: {@code mock://<scope>} URLs
 * resolve to one instance per scope, as Confluent's serdes do. Subjects default to BACKWARD
 * compatibility, checked with Avro's own {@link SchemaCompatibility} against every earlier version
 * (transitively, which is stricter than BACKWARD, never looser).
 */
public final class InMemorySchemaRegistry implements SchemaRegistryClient {
  private static final Map<String, InMemorySchemaRegistry> SCOPES = new ConcurrentHashMap<>();

  private final String url;
  private final Map<Schema, Integer> ids = new HashMap<>();
  private final List<Schema> schemas = new ArrayList<>();
  private final Map<String, List<Integer>> subjects = new HashMap<>();
  private final Map<String, String> compatibility = new HashMap<>();

  public InMemorySchemaRegistry(String url) {
    this.url = url;
  }

  /** The registry of a {@code mock://} scope, created on first use and shared in this JVM. */
  public static InMemorySchemaRegistry scope(String scope) {
    return SCOPES.computeIfAbsent(scope, s -> new InMemorySchemaRegistry("mock://" + s));
  }

  /** Forgets a scope (tests that want a clean registry use a fresh random scope instead). */
  public static void dropScope(String scope) {
    SCOPES.remove(scope);
  }

  @Override
  public String url() {
    return url;
  }

  @Override
  public synchronized int register(String subject, Schema schema) {
    List<Integer> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
    Integer existing = ids.get(schema);
    if (existing != null && versions.contains(existing)) {
      return existing;
    }
    if (!isCompatible(subject, schema)) {
      throw new SchemaRegistryException(
          url
              + ": schema for subject '"
              + subject
              + "' is incompatible with an earlier version under "
              + compatibility.getOrDefault(subject, "BACKWARD"),
          SchemaRegistryException.CONFLICT);
    }
    int id = ids.computeIfAbsent(schema, s -> nextId(s));
    versions.add(id);
    return id;
  }

  private int nextId(Schema schema) {
    schemas.add(schema);
    return schemas.size();
  }

  @Override
  public synchronized int idOf(String subject, Schema schema) {
    Integer id = ids.get(schema);
    if (id == null || !subjects.getOrDefault(subject, List.of()).contains(id)) {
      throw new SchemaRegistryException(
          url + ": schema not registered under subject '" + subject + "'",
          SchemaRegistryException.NOT_FOUND);
    }
    return id;
  }

  @Override
  public synchronized Schema schemaById(int id) {
    if (id < 1 || id > schemas.size()) {
      throw new SchemaRegistryException(
          url + ": schema id " + id + " not found", SchemaRegistryException.NOT_FOUND);
    }
    return schemas.get(id - 1);
  }

  @Override
  public synchronized SchemaVersion latest(String subject) {
    List<Integer> versions = subjects.get(subject);
    if (versions == null || versions.isEmpty()) {
      throw new SchemaRegistryException(
          url + ": subject '" + subject + "' not found", SchemaRegistryException.NOT_FOUND);
    }
    int id = versions.get(versions.size() - 1);
    return new SchemaVersion(subject, versions.size(), id, schemas.get(id - 1));
  }

  @Override
  public synchronized boolean isCompatible(String subject, Schema schema) {
    String level = compatibility.getOrDefault(subject, "BACKWARD");
    if (level.equals("NONE")) {
      return true;
    }
    for (int id : subjects.getOrDefault(subject, List.of())) {
      Schema earlier = schemas.get(id - 1);
      boolean ok =
          switch (level) {
            case "FORWARD", "FORWARD_TRANSITIVE" -> canRead(earlier, schema);
            case "FULL", "FULL_TRANSITIVE" -> canRead(schema, earlier) && canRead(earlier, schema);
            default -> canRead(schema, earlier);
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean canRead(Schema reader, Schema writer) {
    return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType()
        == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
  }

  @Override
  public synchronized void setCompatibility(String subject, String level) {
    compatibility.put(subject, level);
  }
}
