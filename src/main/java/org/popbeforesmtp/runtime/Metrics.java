package org.popbeforesmtp.runtime;

import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The Prometheus registry every service exposes, and its {@code GET /metrics} endpoint. */
final class Metrics {
  private Metrics() {}

  /** A registry with the JVM's memory metrics bound, served at {@code /metrics} on {@code http}. */
  static PrometheusMeterRegistry serve(Javalin http) {
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(metrics);
    http.get(
        "/metrics",
        ctx ->
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    return metrics;
  }
}
