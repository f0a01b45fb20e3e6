package org.popbeforesmtp.registry;

import java.time.Duration;
import java.util.Map;

/**
 * How the Avro serdes reach the schema registry. Key names follow Confluent's serdes so existing
 * client configs carry over.
 *
 * @param registryUrl {@code http(s)://...} of a Confluent-compatible registry, or {@code
 *     mock://<scope>} for the in-memory registry (tests and dev mode only)
 * @param autoRegister register the writer schema on first use (else it must already exist)
 * @param timeout timeout of each registry call
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 */
public record SerdeConfig(
    String registryUrl, boolean autoRegister, Duration timeout, String basicAuthUserInfo) {

  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
  public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";

  public SerdeConfig {
    if (registryUrl == null || registryUrl.isBlank()) {
      throw new IllegalArgumentException(
          SCHEMA_REGISTRY_URL + " is required (http://host:port, or mock://<scope> in tests)");
    }
    if (!registryUrl.startsWith("mock://")
        && !registryUrl.startsWith("http://")
        && !registryUrl.startsWith("https://")) {
      throw new IllegalArgumentException(
          SCHEMA_REGISTRY_URL
              + " '"
              + registryUrl
              + "' must start with http://, https:// or mock://");
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("schema registry timeout must be positive: " + timeout);
    }
  }

  /** Defaults: auto-register, 10 s timeout, no auth. */
  public static SerdeConfig of(String registryUrl) {
    return new SerdeConfig(registryUrl, true, Duration.ofSeconds(10), null);
  }

  /** Reads the Confluent-style keys from a Kafka client config map. */
  public static SerdeConfig fromMap(Map<String, ?> configs) {
    Object url = configs.get(SCHEMA_REGISTRY_URL);
    Object auto = configs.get(AUTO_REGISTER_SCHEMAS);
    Object timeoutMs = configs.get(REQUEST_TIMEOUT_MS);
    Object auth = configs.get(BASIC_AUTH_USER_INFO);
    return new SerdeConfig(
        url == null ? null : url.toString(),
        auto == null || Boolean.parseBoolean(auto.toString()),
        timeoutMs == null
            ? Duration.ofSeconds(10)
            : Duration.ofMillis(Long.parseLong(timeoutMs.toString())),
        auth == null || auth.toString().isEmpty() ? null : auth.toString());
  }

  /** A client for this config: the in-memory scope for {@code mock://}, else the REST client. */
  public SchemaRegistryClient newClient() {
    if (registryUrl.startsWith("mock://")) {
      return InMemorySchemaRegistry.scope(registryUrl.substring("mock://".length()));
    }
    return new RestSchemaRegistryClient(registryUrl, timeout, basicAuthUserInfo);
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return "SerdeConfig[registryUrl="
        + registryUrl
        + ", autoRegister="
        + autoRegister
        + ", timeout="
        + timeout
        + ", basicAuth="
        + (basicAuthUserInfo == null ? "none" : "***")
        + "]";
  }
}
