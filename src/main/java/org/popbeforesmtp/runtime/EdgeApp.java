package org.popbeforesmtp.runtime;

import io.javalin.Javalin;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.Map;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.edge.CheckEndpoint;
import org.popbeforesmtp.edge.EdgeLookups;
import org.popbeforesmtp.edge.EdgeServers;
import org.popbeforesmtp.edge.GrantCache;
import org.popbeforesmtp.net.Listeners;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.text.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SMTP edge: a {@link GrantCache} on relay.grants, the lookup protocol servers (policy,
 * socketmap, whoson), and an HTTP server ({@code /v1/check/{ip}}, health, Prometheus metrics).
 * Close stops the servers first, then the cache.
 */
public final class EdgeApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeApp.class);

  private final GrantCache cache;
  private final EdgeServers servers;
  private final Javalin http;
  private final PrometheusMeterRegistry metrics;
  private final SchemaRegistryClient registry;
  private boolean closed;

  private EdgeApp(
      GrantCache cache,
      EdgeServers servers,
      Javalin http,
      PrometheusMeterRegistry metrics,
      SchemaRegistryClient registry) {
    this.cache = cache;
    this.servers = servers;
    this.http = http;
    this.metrics = metrics;
    this.registry = registry;
  }

  /** Starts the cache and binds the servers (they answer "no grant" until the cache is ready). */
  public static EdgeApp start(EdgeConfig config) throws InterruptedException {
    SchemaRegistryClient registry = config.registry().newClient();
    GrantCache cache =
        new GrantCache(
                config.clientProperties(),
                config.grantsTopic(),
                registry,
                Clock.systemUTC(),
                config.skewAllowance(),
                config.needsUsers())
            .start();
    // the HTTP port has the protocol ports' limits, and its connections show as protocol "http"
    Listeners.Connections httpConnections = new Listeners.Connections();
    Javalin http =
        HttpServers.create(
            new Listeners.Limits(
                "http", config.idleTimeout(), config.requestTimeout(), config.maxConnections()),
            httpConnections);
    PrometheusMeterRegistry metrics = Metrics.serve(http);
    Gauge.builder("pop_before_smtp_edge_cache_grants", cache, GrantCache::size).register(metrics);
    Gauge.builder("pop_before_smtp_edge_cache_bytes", cache, GrantCache::tableBytes)
        .description("memory of the grant table's arrays")
        .register(metrics);
    Gauge.builder("pop_before_smtp_edge_consumer_lag", cache, GrantCache::lag).register(metrics);
    Gauge.builder("pop_before_smtp_edge_ready", cache, c -> c.isReady() ? 1 : 0).register(metrics);
    Gauge.builder("pop_before_smtp_edge_degraded", cache, c -> c.isDegraded() ? 1 : 0)
        .register(metrics);
    Gauge.builder(
            "pop_before_smtp_edge_newest_record_age_seconds",
            cache,
            c ->
                c.newestRecordTimestamp() < 0
                    ? Double.NaN
                    : (System.currentTimeMillis() - c.newestRecordTimestamp()) / 1000.0)
        .register(metrics);
    EdgeLookups lookups =
        new EdgeLookups(
            cache, config.idleTimeout(), config.requestTimeout(), config.maxConnections(), metrics);
    EdgeServers servers;
    try {
      servers = EdgeServers.start(config.servers(), lookups, config.bind());
    } catch (InterruptedException | RuntimeException e) {
      cache.close();
      throw e;
    }
    lookups.register("http", httpConnections);
    EdgeLookups.Meters httpMeters = lookups.meters("http");
    http.get(
        "/v1/check/{ip}",
        ctx -> {
          CheckEndpoint.Response r =
              CheckEndpoint.answer(ctx.pathParam("ip"), httpMeters.verdict(ctx.pathParam("ip")));
          ctx.contentType("application/json").status(r.status()).result(r.body());
        });
    http.get("/health/live", ctx -> ctx.json(Map.of("status", "UP")));
    http.get(
        "/health/ready",
        ctx -> {
          String status = !cache.isReady() ? "LOADING" : cache.isDegraded() ? "DEGRADED" : "UP";
          ctx.status(cache.isReady() ? 200 : 503)
              .contentType("application/json")
              .result(Json.mapper().createObjectNode().put("status", status).toString());
        });
    try {
      http.start(config.bind(), config.httpPort());
    } catch (RuntimeException e) {
      servers.close();
      cache.close();
      throw e;
    }
    LOG.info("edge listening on {}: {}, http {}", config.bind(), servers.ports(), http.port());
    return new EdgeApp(cache, servers, http, metrics, registry);
  }

  public GrantCache cache() {
    return cache;
  }

  /** The port a protocol is bound to ({@link org.popbeforesmtp.edge.EdgeProtocol#name()}). */
  public int port(String protocol) {
    return servers.port(protocol);
  }

  /** The protocols served, by name, with their ports. */
  public Map<String, Integer> ports() {
    return servers.ports();
  }

  public int httpPort() {
    return http.port();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    http.stop();
    servers.close();
    cache.close();
    metrics.close();
    registry.close();
  }
}
