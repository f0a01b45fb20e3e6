package org.popbeforesmtp.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.popbeforesmtp.query.GrantQueries;
import org.popbeforesmtp.text.Json;

/**
 * The operator dashboard the processor serves at {@code /dashboard/}: one page, its script and
 * style, and uPlot (from its WebJar in the jar, so the page needs no network beyond the processor),
 * and {@code GET /v1/stats}, the numbers it charts, summed over every instance of the group.
 *
 * <p>The stats are this process's {@code pop_before_smtp_*} meters, named without the prefix (a
 * meter with a {@code reason} tag as {@code name.reason}): the page computes rates from the
 * counters between two polls. Across instances counters and live grants add up; the worst expiry
 * and consumer lag and the lowest Kafka reachability stand for the group.
 */
public final class Dashboard {
  /** Where the page is served. */
  public static final String PATH = "/dashboard";

  private static final String PREFIX = "pop_before_smtp_";
  private static final Set<String> WORST_IS_MAX = Set.of("expiry_lag_max_ms", "consumer_lag_max");
  private static final Set<String> WORST_IS_MIN = Set.of("kafka_reachable");

  /** Only what the page itself loads, from this origin; nothing inline, nothing framed. */
  private static final String CSP =
      "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none';"
          + " base-uri 'none'; form-action 'none'";

  private record Asset(byte[] bytes, String contentType) {}

  private Dashboard() {}

  /**
   * Binds the page and {@code /v1/stats} on {@code http}.
   *
   * @param local this instance's stats (see {@link #stats})
   */
  static void serve(Javalin http, Supplier<Map<String, Double>> local, GrantQueries queries) {
    Map<String, Asset> assets = assets();
    http.get("/", ctx -> ctx.redirect(PATH + "/"));
    // with or without its slash (Javalin ignores trailing slashes): the page names its files
    // with absolute paths
    http.get(PATH, ctx -> send(ctx, assets.get("index.html")));
    http.get(
        PATH + "/{file}",
        ctx -> {
          Asset asset = assets.get(ctx.pathParam("file"));
          if (asset == null) {
            ctx.status(404).contentType("text/plain").result("no such file");
          } else {
            send(ctx, asset);
          }
        });
    http.get(
        "/v1/stats",
        ctx -> {
          ctx.contentType("application/json").header("Cache-Control", "no-store");
          Map<String, Double> stats = new TreeMap<>(local.get());
          int instances = 1;
          List<String> missing = List.of();
          if (ctx.header(GrantQueries.FORWARDED_HEADER) == null) {
            GrantQueries.Gathered others = queries.fromOthers("/v1/stats");
            for (JsonNode body : others.bodies()) {
              merge(stats, body.get("stats"));
              instances += body.get("instances").asInt();
            }
            missing = others.missing();
          }
          ObjectNode body =
              Json.mapper()
                  .createObjectNode()
                  .put("at", Json.instant(Instant.now()))
                  .put("instances", instances);
          body.putPOJO("stats", stats);
          if (!missing.isEmpty()) {
            body.putPOJO("incomplete", missing); // partial sums are marked as such
          }
          ctx.result(body.toString());
        });
  }

  /** This instance's {@code pop_before_smtp_*} meters, named without the prefix. */
  static Map<String, Double> stats(MeterRegistry registry) {
    Map<String, Double> stats = new TreeMap<>();
    for (Meter meter : registry.getMeters()) {
      String name = meter.getId().getName();
      if (!name.startsWith(PREFIX)) {
        continue;
      }
      String reason = meter.getId().getTag("reason");
      String key = name.substring(PREFIX.length()) + (reason == null ? "" : "." + reason);
      for (var measurement : meter.measure()) {
        stats.put(key, measurement.getValue());
        break; // counters and gauges have one value
      }
    }
    return stats;
  }

  /** Adds another instance's stats into {@code stats}: summed, or the worst of both. */
  static void merge(Map<String, Double> stats, JsonNode other) {
    for (Map.Entry<String, JsonNode> e : other.properties()) {
      String key = e.getKey();
      stats.merge(
          key,
          e.getValue().asDouble(),
          WORST_IS_MAX.contains(key)
              ? Math::max
              : WORST_IS_MIN.contains(key) ? Math::min : Double::sum);
    }
  }

  private static void send(Context ctx, Asset asset) {
    ctx.header("Content-Security-Policy", CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header("Cache-Control", "no-cache")
        .contentType(asset.contentType())
        .result(asset.bytes());
  }

  /** The page's files and uPlot's, read once; a missing one is a build error, found at start. */
  private static Map<String, Asset> assets() {
    String uplot = "/META-INF/resources/webjars/uplot/" + version("uplot") + "/dist/";
    Map<String, Asset> assets = new LinkedHashMap<>();
    assets.put("index.html", asset("/dashboard/index.html", "text/html; charset=utf-8"));
    assets.put("dashboard.js", asset("/dashboard/dashboard.js", "text/javascript; charset=utf-8"));
    assets.put("dashboard.css", asset("/dashboard/dashboard.css", "text/css; charset=utf-8"));
    assets.put("uPlot.iife.min.js", asset(uplot + "uPlot.iife.min.js", "text/javascript"));
    assets.put("uPlot.min.css", asset(uplot + "uPlot.min.css", "text/css"));
    return assets;
  }

  /** The version of a WebJar on the class path, as its Maven metadata gives it. */
  private static String version(String webjar) {
    Properties p = new Properties();
    try (InputStream in =
        Dashboard.class.getResourceAsStream(
            "/META-INF/maven/org.webjars.npm/" + webjar + "/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("the " + webjar + " WebJar is not on the class path");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  private static Asset asset(String path, String contentType) {
    try (InputStream in = Dashboard.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(path + " is not in the jar");
      }
      return new Asset(in.readAllBytes(), contentType);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
