package org.popbeforesmtp.runtime;

import io.javalin.Javalin;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.ingest.DovecotPolicyEndpoint;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.ingest.WhosonWriters;
import org.popbeforesmtp.net.Listeners;
import org.popbeforesmtp.net.Whoson;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Dovecot auth-policy endpoint ({@code POST /v1/dovecot-policy?command=...}) and, when {@code
 * whoson.port} is set, the whoson writer server ({@link WhosonWriters}), with their {@link
 * LoginPublisher}, health and Prometheus metrics. Close stops HTTP first, then drains the
 * publisher.
 */
public final class IngestApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IngestApp.class);

  private final Javalin http;
  private final EventLoopGroup whosonGroup;
  private final List<Channel> whoson;
  private final LoginPublisher publisher;
  private final PrometheusMeterRegistry metrics;
  private final SchemaRegistryClient registry;
  private boolean closed;

  private IngestApp(
      Javalin http,
      EventLoopGroup whosonGroup,
      List<Channel> whoson,
      LoginPublisher publisher,
      PrometheusMeterRegistry metrics,
      SchemaRegistryClient registry) {
    this.http = http;
    this.whosonGroup = whosonGroup;
    this.whoson = whoson;
    this.publisher = publisher;
    this.metrics = metrics;
    this.registry = registry;
  }

  public static IngestApp start(IngestConfig config) throws InterruptedException {
    SchemaRegistryClient registry = config.registry().newClient();
    LoginPublisher publisher =
        new LoginPublisher(
            config.clientProperties(),
            config.loginsTopic(),
            registry,
            config.queueCapacity(),
            config.maxUnavailable());
    DovecotPolicyEndpoint endpoint =
        new DovecotPolicyEndpoint(
            config.allowedNetworks(),
            config.secretHeader(),
            config.secretValue(),
            config.serverId(),
            Clock.systemUTC(),
            publisher::submit);
    Javalin http = HttpServers.create(HttpServers.DEFAULT_LIMITS, new Listeners.Connections());
    PrometheusMeterRegistry metrics = Metrics.serve(http);
    FunctionCounter.builder(
            "pop_before_smtp_ingest_reports_received", publisher, LoginPublisher::submitted)
        .register(metrics);
    FunctionCounter.builder(
            "pop_before_smtp_ingest_events_published", publisher, LoginPublisher::published)
        .register(metrics);
    FunctionCounter.builder(
            "pop_before_smtp_ingest_events_failed", publisher, LoginPublisher::failed)
        .description("events Kafka did not take within max.unavailable")
        .register(metrics);
    FunctionCounter.builder(
            "pop_before_smtp_ingest_events_rejected", publisher, LoginPublisher::rejected)
        .description("events refused because the queue was full")
        .register(metrics);
    Gauge.builder("pop_before_smtp_ingest_queue", publisher, LoginPublisher::queued)
        .register(metrics);
    Timer latency =
        Timer.builder("pop_before_smtp_ingest_request_latency")
            .publishPercentileHistogram()
            .register(metrics);

    http.post(
        "/v1/dovecot-policy",
        ctx -> {
          long start = System.nanoTime();
          String secret =
              endpoint.secretHeader() == null ? null : ctx.header(endpoint.secretHeader());
          DovecotPolicyEndpoint.Response r =
              endpoint.handle(
                  ctx.queryParam("command"), ctx.bodyAsBytes(), ctx.req().getRemoteAddr(), secret);
          ctx.contentType("application/json").status(r.status()).result(r.body());
          latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        });
    http.get(
        "/health",
        ctx ->
            ctx.contentType("application/json")
                .result(
                    "{\"status\":\"UP\",\"queued\":"
                        + publisher.queued()
                        + ",\"lastKafkaAck\":\""
                        + publisher.lastSuccess()
                        + "\"}"));
    try {
      http.start(config.bind(), config.httpPort());
    } catch (RuntimeException e) {
      publisher.close();
      throw e;
    }
    LOG.info(
        "Dovecot auth-policy endpoint on http://{}:{}/v1/dovecot-policy",
        config.bind(),
        http.port());
    EventLoopGroup whosonGroup = null;
    List<Channel> whoson = List.of();
    if (config.whosonOn()) {
      WhosonWriters writers =
          new WhosonWriters(
              config.allowedNetworks(), config.serverId(), Clock.systemUTC(), publisher::submit);
      FunctionCounter.builder(
              "pop_before_smtp_ingest_whoson_refused", writers, WhosonWriters::refused)
          .description("whoson requests refused (writer not allowed, malformed)")
          .register(metrics);
      whosonGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
      try {
        whoson =
            Whoson.bind(
                whosonGroup,
                new InetSocketAddress(config.bind(), config.whosonPort()),
                WHOSON_LIMITS,
                new Listeners.Connections(),
                writers);
      } catch (InterruptedException | RuntimeException e) {
        whosonGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        http.stop();
        publisher.close();
        throw e;
      }
      LOG.info(
          "whoson writers on {}:{} (TCP and UDP)", config.bind(), Listeners.port(whoson.get(0)));
    }
    return new IngestApp(http, whosonGroup, whoson, publisher, metrics, registry);
  }

  /** What whoson writer connections may do (POP servers hold a few each). */
  private static final Listeners.Limits WHOSON_LIMITS =
      new Listeners.Limits("whoson writers", Duration.ofMinutes(10), Duration.ofSeconds(10), 1024);

  public int httpPort() {
    return http.port();
  }

  /** The whoson writer port (TCP and UDP), or -1 when off. */
  public int whosonPort() {
    return whoson.isEmpty() ? -1 : Listeners.port(whoson.get(0));
  }

  public LoginPublisher publisher() {
    return publisher;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    http.stop();
    whoson.forEach(c -> c.close().syncUninterruptibly());
    if (whosonGroup != null) {
      whosonGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
    publisher.close();
    metrics.close();
    registry.close();
  }
}
