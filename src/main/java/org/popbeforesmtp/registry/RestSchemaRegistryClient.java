package org.popbeforesmtp.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.popbeforesmtp.text.Json;

/**
 * Client for a registry that speaks the Confluent Schema Registry REST API (Confluent, Apicurio's
 * {@code /apis/ccompat/v7}, ...). Ids and schemas are cached: a schema id never changes its schema,
 * so each is fetched once per process.
 *
 * <p>Requests go through {@link HttpURLConnection}: for an {@code http://} registry it loads no TLS
 * code, whereas {@code java.net.http.HttpClient} builds the default TLS context even for plain HTTP
 * (about 0.3 s of CPU, a sixth of a short {@code audit ip} command's start).
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = Json.mapper();

  private final String baseUrl;
  private final Duration timeout;
  private final String authorization;
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

  /**
   * @param baseUrl e.g. {@code http://registry:8081} or {@code http://host/apis/ccompat/v7}
   * @param timeout connect and request timeout of each call
   * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
   */
  public RestSchemaRegistryClient(String baseUrl, Duration timeout, String basicAuthUserInfo) {
    if (baseUrl == null || !(baseUrl.startsWith("http://") || baseUrl.startsWith("https://"))) {
      throw new IllegalArgumentException(
          "schema registry URL '" + baseUrl + "' must start with http:// or https://");
    }
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.timeout = timeout;
    this.authorization =
        basicAuthUserInfo == null || basicAuthUserInfo.isEmpty()
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String url() {
    return baseUrl;
  }

  @Override
  public int register(String subject, Schema schema) {
    return id(
        subject,
        schema,
        "/subjects/" + encode(subject) + "/versions",
        "registering a schema under subject '" + subject + "'");
  }

  @Override
  public int idOf(String subject, Schema schema) {
    return id(
        subject,
        schema,
        "/subjects/" + encode(subject),
        "looking up a schema under subject '" + subject + "'");
  }

  /** The id the registry answers a POST of {@code schema} to {@code path} with (cached). */
  private int id(String subject, Schema schema, String path, String what) {
    String cacheKey = subject + '\n' + schema;
    Integer cached = idsBySubjectAndSchema.get(cacheKey);
    if (cached != null) {
      return cached;
    }
    int id = requireInt(send("POST", path, schemaBody(schema), what), "id", what);
    idsBySubjectAndSchema.put(cacheKey, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    String what = "fetching schema id " + id;
    JsonNode body = send("GET", "/schemas/ids/" + id, null, what);
    Schema schema = parse(requireText(body, "schema", what), what);
    Schema previous = schemasById.putIfAbsent(id, schema);
    return previous == null ? schema : previous;
  }

  @Override
  public SchemaVersion latest(String subject) {
    String what = "fetching the latest version of subject '" + subject + "'";
    JsonNode body = send("GET", "/subjects/" + encode(subject) + "/versions/latest", null, what);
    int id = requireInt(body, "id", what);
    Schema schema = parse(requireText(body, "schema", what), what);
    schemasById.putIfAbsent(id, schema);
    return new SchemaVersion(subject, requireInt(body, "version", what), id, schema);
  }

  @Override
  public boolean isCompatible(String subject, Schema schema) {
    String what = "checking compatibility under subject '" + subject + "'";
    try {
      JsonNode body =
          send(
              "POST",
              "/compatibility/subjects/" + encode(subject) + "/versions/latest",
              schemaBody(schema),
              what);
      JsonNode flag = body.get("is_compatible");
      if (flag == null || !flag.isBoolean()) {
        throw new SchemaRegistryException(
            baseUrl + ": " + what + ": answer has no boolean 'is_compatible': " + body, 200);
      }
      return flag.booleanValue();
    } catch (SchemaRegistryException e) {
      if (e.status() == SchemaRegistryException.NOT_FOUND) {
        return true; // no version yet: anything is compatible
      }
      throw e;
    }
  }

  @Override
  public void setCompatibility(String subject, String level) {
    ObjectNode body = JSON.createObjectNode().put("compatibility", level);
    send(
        "PUT",
        "/config/" + encode(subject),
        body.toString(),
        "setting compatibility " + level + " on subject '" + subject + "'");
  }

  private JsonNode send(String method, String path, String body, String what) {
    URI uri = URI.create(baseUrl + path);
    int status;
    String answer;
    try {
      HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
      c.setRequestMethod(method);
      c.setInstanceFollowRedirects(false);
      int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
      c.setConnectTimeout(millis);
      c.setReadTimeout(millis);
      c.setRequestProperty("Accept", CONTENT_TYPE + ", application/json");
      if (authorization != null) {
        c.setRequestProperty("Authorization", authorization);
      }
      if (body != null) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", CONTENT_TYPE);
        c.setFixedLengthStreamingMode(bytes.length);
        try (OutputStream out = c.getOutputStream()) {
          out.write(bytes);
        }
      }
      status = c.getResponseCode();
      try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
        answer = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new SchemaRegistryException(
          "schema registry " + uri + " unreachable while " + what + ": " + e, -1, e);
    }
    if (status < 200 || status >= 300) {
      throw new SchemaRegistryException(
          "schema registry "
              + uri
              + " answered HTTP "
              + status
              + " while "
              + what
              + ": "
              + abbreviate(answer),
          status);
    }
    try {
      return JSON.readTree(answer);
    } catch (JsonProcessingException e) {
      throw new SchemaRegistryException(
          "schema registry "
              + uri
              + " answered HTTP "
              + status
              + " with a body that is not JSON while "
              + what
              + ": "
              + abbreviate(answer),
          status,
          e);
    }
  }

  private int requireInt(JsonNode body, String field, String what) {
    JsonNode node = body.get(field);
    if (node == null || !node.canConvertToInt()) {
      throw new SchemaRegistryException(
          baseUrl + ": " + what + ": answer has no integer '" + field + "': " + body, 200);
    }
    return node.intValue();
  }

  private String requireText(JsonNode body, String field, String what) {
    JsonNode node = body.get(field);
    if (node == null || !node.isTextual()) {
      throw new SchemaRegistryException(
          baseUrl + ": " + what + ": answer has no text '" + field + "': " + body, 200);
    }
    return node.textValue();
  }

  private Schema parse(String text, String what) {
    try {
      return new Schema.Parser().parse(text);
    } catch (SchemaParseException e) {
      throw new SchemaRegistryException(
          baseUrl + ": " + what + ": the registry returned a schema Avro cannot parse: " + e,
          200,
          e);
    }
  }

  private static String schemaBody(Schema schema) {
    return JSON.createObjectNode().put("schema", schema.toString()).toString();
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String abbreviate(String body) {
    if (body == null) {
      return "";
    }
    return body.length() > 300 ? body.substring(0, 300) + "..." : body;
  }
}
