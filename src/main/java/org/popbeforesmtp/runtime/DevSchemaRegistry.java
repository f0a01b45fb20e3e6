package org.popbeforesmtp.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.popbeforesmtp.net.Listeners;
import org.popbeforesmtp.registry.InMemorySchemaRegistry;
import org.popbeforesmtp.registry.SchemaRegistryException;
import org.popbeforesmtp.text.Json;

/**
 * A development schema registry: the part of the Confluent Schema Registry REST API this project's
 * client uses, served over HTTP, with every registration appended to a file under the dev data
 * directory and replayed at start (so records written before a restart still decode after it). For
 * the {@code dev} command only: no auth, no clustering, no deletes.
 */
public final class DevSchemaRegistry implements AutoCloseable {
  private static final ObjectMapper JSON = Json.mapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private final InMemorySchemaRegistry registry;
  private final Path log;
  private final Javalin http;

  private DevSchemaRegistry(InMemorySchemaRegistry registry, Path log, Javalin http) {
    this.registry = registry;
    this.log = log;
    this.http = http;
  }

  /** Loads {@code dataDir/schemas.jsonl} (if any) and serves the API on {@code host:port}. */
  public static DevSchemaRegistry start(Path dataDir, String host, int port) {
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry("dev");
    Path log = dataDir.resolve("schemas.jsonl");
    try {
      Files.createDirectories(dataDir);
      if (Files.exists(log)) {
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            JsonNode entry = JSON.readTree(line);
            registry.setCompatibility(entry.get("subject").asText(), "NONE");
            registry.register(
                entry.get("subject").asText(),
                new Schema.Parser().parse(entry.get("schema").asText()));
            registry.setCompatibility(entry.get("subject").asText(), "BACKWARD");
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load dev schemas from " + log, e);
    }
    Javalin http = HttpServers.create(HttpServers.DEFAULT_LIMITS, new Listeners.Connections());
    DevSchemaRegistry dev = new DevSchemaRegistry(registry, log, http);
    http.post("/subjects/{subject}/versions", dev::register);
    http.post("/subjects/{subject}", dev::lookup);
    http.get("/subjects", ctx -> json(ctx, 200, JSON.valueToTree(List.of())));
    http.get("/schemas/ids/{id}", dev::byId);
    http.get("/subjects/{subject}/versions/latest", dev::latest);
    http.post("/compatibility/subjects/{subject}/versions/latest", dev::compatible);
    http.put("/config/{subject}", dev::config);
    http.exception(
        SchemaRegistryException.class, (e, ctx) -> error(ctx, e.status(), e.getMessage()));
    http.exception(SchemaParseException.class, (e, ctx) -> error(ctx, 422, e.getMessage()));
    http.start(host, port);
    return dev;
  }

  /** Base URL for clients. */
  public String url() {
    return "http://127.0.0.1:" + http.port();
  }

  private Schema schemaOf(Context ctx) throws IOException {
    return new Schema.Parser().parse(JSON.readTree(ctx.body()).get("schema").asText());
  }

  private synchronized void register(Context ctx) throws IOException {
    String subject = ctx.pathParam("subject");
    Schema schema = schemaOf(ctx);
    boolean known = isRegistered(subject, schema);
    int id = registry.register(subject, schema);
    if (!known) {
      String line =
          JSON.createObjectNode().put("subject", subject).put("schema", schema.toString()) + "\n";
      Files.writeString(
          log, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    json(ctx, 200, JSON.createObjectNode().put("id", id));
  }

  private boolean isRegistered(String subject, Schema schema) {
    try {
      registry.idOf(subject, schema);
      return true;
    } catch (SchemaRegistryException e) {
      return false;
    }
  }

  private void lookup(Context ctx) throws IOException {
    String subject = ctx.pathParam("subject");
    int id = registry.idOf(subject, schemaOf(ctx));
    json(ctx, 200, JSON.createObjectNode().put("subject", subject).put("id", id));
  }

  private void byId(Context ctx) {
    int id;
    try {
      id = Integer.parseInt(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      error(ctx, 404, "schema id '" + ctx.pathParam("id") + "' not found");
      return;
    }
    json(ctx, 200, JSON.createObjectNode().put("schema", registry.schemaById(id).toString()));
  }

  private void latest(Context ctx) {
    var v = registry.latest(ctx.pathParam("subject"));
    json(
        ctx,
        200,
        JSON.createObjectNode()
            .put("subject", v.subject())
            .put("version", v.version())
            .put("id", v.id())
            .put("schema", v.schema().toString()));
  }

  private void compatible(Context ctx) throws IOException {
    boolean ok = registry.isCompatible(ctx.pathParam("subject"), schemaOf(ctx));
    json(ctx, 200, JSON.createObjectNode().put("is_compatible", ok));
  }

  private void config(Context ctx) throws IOException {
    String level = JSON.readTree(ctx.body()).get("compatibility").asText();
    registry.setCompatibility(ctx.pathParam("subject"), level);
    json(ctx, 200, JSON.createObjectNode().put("compatibility", level));
  }

  private static void json(Context ctx, int status, JsonNode body) {
    ctx.status(status).contentType(CONTENT_TYPE).result(body.toString());
  }

  private static void error(Context ctx, int status, String message) {
    json(
        ctx,
        status,
        JSON.createObjectNode().put("error_code", status * 100 + 1).put("message", message));
  }

  @Override
  public void close() {
    http.stop();
  }
}
