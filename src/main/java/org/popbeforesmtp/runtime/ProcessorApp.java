package org.popbeforesmtp.runtime;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.HostInfo;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.config.StreamsSettings;
import org.popbeforesmtp.grants.GrantRules;
import org.popbeforesmtp.grants.GrantSerdes;
import org.popbeforesmtp.grants.GrantTopology;
import org.popbeforesmtp.grants.TopicUnavailableException;
import org.popbeforesmtp.ingest.ProducerSettings;
import org.popbeforesmtp.net.Listeners;
import org.popbeforesmtp.query.GrantQueries;
import org.popbeforesmtp.query.RevocationEndpoint;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.text.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The grant processor: provisions the topics, runs the grant topology, and serves the HTTP API
 * (grant lookups across instances, health, Prometheus metrics). Start with {@link #start}, stop
 * with {@link #close} (idempotent; Streams closed and state flushed before the HTTP server stops).
 */
public final class ProcessorApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessorApp.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final ProcessorConfig config;
  private final KafkaStreams streams;
  private final Javalin http;
  private final SchemaRegistryClient registry;
  private final PrometheusMeterRegistry metrics;
  private final HostInfo self;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean closed;
  private final Set<TopicPartition> restoring = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean announced = new AtomicBoolean();
  private final AtomicLong restoredRecords = new AtomicLong();
  private final KafkaWatch kafka;
  private final ThreadRecovery recovery = new ThreadRecovery(System::nanoTime);
  private final ReadinessWatch readiness;
  private KafkaProducer<String, Revocation> revocationProducer;
  private final RevocationEndpoint revocationEndpoint;

  private ProcessorApp(
      ProcessorConfig config,
      KafkaStreams streams,
      Javalin http,
      SchemaRegistryClient registry,
      PrometheusMeterRegistry metrics,
      HostInfo self) {
    this.config = config;
    this.streams = streams;
    this.http = http;
    this.registry = registry;
    this.metrics = metrics;
    this.self = self;
    this.kafka = new KafkaWatch(clientProps(config), config.bootstrapServers());
    this.readiness = new ReadinessWatch(this::isReady, this::activity, System::nanoTime);
    this.revocationEndpoint =
        new RevocationEndpoint(config.adminToken(), Clock.systemUTC(), this::publishRevocation);
  }

  /** Provisions topics, binds the HTTP API and starts Kafka Streams (returns before RUNNING). */
  public static ProcessorApp start(ProcessorConfig config) {
    long startedAt = System.nanoTime();
    SchemaRegistryClient registry = config.registry().newClient();
    GrantSerdes serdes = GrantSerdes.of(registry, config.registry().autoRegister());
    Javalin http = HttpServers.create(HttpServers.DEFAULT_LIMITS, new Listeners.Connections());
    // health answers from the moment the port opens: 503 until the app exists (never a 404,
    // which orchestrators and scripts read as "no such endpoint"), also while Kafka is unreachable
    AtomicReference<ProcessorApp> started = new AtomicReference<>();
    http.get("/health/live", ctx -> health(ctx, started.get() == null || started.get().live()));
    http.get("/health/ready", ctx -> health(ctx, started.get() != null && started.get().isReady()));
    http.start(config.httpHost(), config.httpPort());
    HostInfo self = new HostInfo(config.advertisedHost(), http.port());
    int partitions;
    try {
      partitions = provision(config);
    } catch (RuntimeException e) {
      boolean interrupted = Thread.interrupted(); // a stop while waiting: the server still stops
      http.stop();
      registry.close();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      throw e;
    }
    Topology topology = GrantTopology.build(config.topics(), serdes, config.policy(), partitions);
    LOG.info("grant topology:\n{}", topology.describe());

    Map<String, Object> overrides = new HashMap<>(config.kafka());
    overrides.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
    overrides.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
    overrides.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.instanceId());
    if (config.replicationFactor() > 0) {
      overrides.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, config.replicationFactor());
    }
    Properties props =
        StreamsSettings.grantProcessor(
            config.applicationId(), config.bootstrapServers(), config.topics(), overrides);
    KafkaStreams streams = new KafkaStreams(topology, props);
    PrometheusMeterRegistry metrics = Metrics.serve(http);
    ProcessorApp app = new ProcessorApp(config, streams, http, registry, metrics, self);
    app.wire(startedAt);
    started.set(app);
    streams.start();
    return app;
  }

  /**
   * Provisions the topics, waiting for Kafka as long as it does not answer (one line a minute says
   * so, and one when it answers again); any other problem (a misconfigured topic, no right to
   * create one) fails at once.
   *
   * @return the partition count of the logins topic
   */
  private static int provision(ProcessorConfig config) {
    long nextLog = 0;
    boolean waited = false;
    try (Admin admin = Admin.create(clientProps(config))) {
      while (true) {
        try {
          int partitions =
              TopicProvisioner.ensure(
                  admin, config.topics(), config.partitions(), config.replicationFactor());
          if (waited) {
            LOG.info("Kafka at {} answers again", config.bootstrapServers());
          }
          return partitions;
        } catch (TopicUnavailableException e) {
          waited = true;
          if (System.nanoTime() >= nextLog) {
            LOG.warn("waiting for Kafka at {}: {}", config.bootstrapServers(), e.getMessage());
            nextLog = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
          }
          try {
            Thread.sleep(2000);
          } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka", interrupted);
          }
        }
      }
    }
  }

  private void wire(long started) {
    streams.setUncaughtExceptionHandler(
        e -> {
          Duration pause = closed ? null : recovery.pauseBeforeReplacing(e);
          if (pause != null) {
            try {
              Thread.sleep(pause.toMillis());
            } catch (InterruptedException interrupted) {
              Thread.currentThread().interrupt();
            }
            return StreamThreadExceptionResponse.REPLACE_THREAD;
          }
          fail(e);
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.setStateListener(
        (now, before) -> {
          LOG.info("grant processor state {} -> {}", before, now);
          if (now == KafkaStreams.State.RUNNING) {
            announceReady(started);
          } else {
            announced.set(false);
          }
          if (now == KafkaStreams.State.ERROR) {
            fail(new IllegalStateException("Kafka Streams entered the ERROR state"));
          }
        });
    kafka.start();
    readiness.start();
    // RUNNING comes before the tasks' stores are restored (Streams restores in the background):
    // until they are, a task answers nothing and processes nothing, so this instance is not ready
    streams.setGlobalStateRestoreListener(
        new StateRestoreListener() {
          @Override
          public void onRestoreStart(TopicPartition changelog, String store, long from, long to) {
            restoring.add(changelog);
          }

          @Override
          public void onBatchRestored(
              TopicPartition changelog, String store, long batchEnd, long restored) {}

          @Override
          public void onRestoreEnd(TopicPartition changelog, String store, long restored) {
            restoredRecords.addAndGet(restored);
            restoring.remove(changelog);
            announceReady(started);
          }

          @Override
          public void onRestoreSuspended(TopicPartition changelog, String store, long restored) {
            restoring.remove(changelog);
            announceReady(started);
          }
        });
    ProcessorMetrics.bind(streams, metrics, config.topics().logins(), kafka::reachable);

    GrantRules rules = new GrantRules(config.policy());
    GrantQueries queries =
        new GrantQueries(streams, rules, self, Clock.systemUTC(), Duration.ofSeconds(2));
    ProcessorHttpApi.serve(http, queries, revocationEndpoint);
    Dashboard.serve(
        http,
        () -> {
          Map<String, Double> stats = Dashboard.stats(metrics);
          stats.put("consumer_lag_max", ProcessorMetrics.max(streams, "records-lag-max"));
          stats.put("ready", isReady() ? 1.0 : 0.0);
          return stats;
        },
        queries);
  }

  private boolean live() {
    return failure.get() == null && !closed;
  }

  /**
   * Ready: running, every stream thread running (a replaced thread's successor only once it has
   * taken tasks), every active task's stores restored (an instance restarted after a crash restores
   * them after it reports RUNNING), no fatal error ({@link ReadinessWatch#ready}).
   */
  public boolean isReady() {
    KafkaStreams.State state = streams.state();
    if (failure.get() != null || state != KafkaStreams.State.RUNNING) {
      return false; // (Streams lists its threads only while it runs)
    }
    try {
      return ReadinessWatch.ready(state, streams.metadataForLocalThreads(), restoring);
    } catch (IllegalStateException e) {
      return false; // Streams stopped running since
    }
  }

  /**
   * What it is doing, in a line: the Streams state, each stream thread's state and tasks, the
   * changelogs being restored (what {@link ReadinessWatch} logs while it is not ready).
   */
  public String activity() {
    return ReadinessWatch.describe(streams.state(), streams.metadataForLocalThreads(), restoring);
  }

  /**
   * Changelog records replayed into this instance's stores since it started: none after a clean
   * stop (the stores are checkpointed), all of its tasks' state after a crash under exactly-once.
   */
  public long restoredRecords() {
    return restoredRecords.get();
  }

  /** Logs, once per time it becomes ready, how long that took since start. */
  private void announceReady(long started) {
    if (isReady() && announced.compareAndSet(false, true)) {
      LOG.info("grant processor ready after {} ms", (System.nanoTime() - started) / 1_000_000);
    }
  }

  /** Publishes a revocation and waits for Kafka's acknowledgement (10 s at most). */
  private void publishRevocation(Revocation revocation) throws Exception {
    revocations()
        .send(
            new ProducerRecord<>(config.topics().revocations(), revocation.getTarget(), revocation))
        .get(10, TimeUnit.SECONDS);
  }

  private synchronized KafkaProducer<String, Revocation> revocations() {
    if (revocationProducer == null) {
      Properties props = ProducerSettings.idempotent(clientProps(config));
      revocationProducer =
          new KafkaProducer<>(
              props,
              new StringSerializer(),
              new AvroSerializer<>(Revocation.class, registry, config.registry().autoRegister()));
    }
    return revocationProducer;
  }

  private static void health(Context ctx, boolean ok) {
    ctx.contentType("application/json")
        .status(ok ? 200 : 503)
        .result(Json.mapper().createObjectNode().put("status", ok ? "UP" : "DOWN").toString());
  }

  /** Times a stream thread was replaced because the schema registry did not answer. */
  public long registryWaits() {
    return recovery.registryWaits();
  }

  private void fail(Throwable cause) {
    if (failure.compareAndSet(null, cause)) {
      LOG.error("grant processor failed; shutting down", cause);
    }
    terminated.countDown();
  }

  /** The settings it runs with. */
  public ProcessorConfig config() {
    return config;
  }

  /** The HTTP API's bound port. */
  public int httpPort() {
    return self.port();
  }

  /** The Streams instance (for tests and the dev stack). */
  public KafkaStreams streams() {
    return streams;
  }

  /** Blocks until {@link #close} or a fatal Streams error; returns the exit code (0 or 1). */
  public int awaitTermination() throws InterruptedException {
    terminated.await();
    return failure.get() == null ? 0 : 1;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    readiness.close();
    LOG.info("closing grant processor");
    // a stop may be for good (scale-down, host retired): leave the group so the others take the
    // tasks over at once; a static member that crashes does not leave, and a restart within the
    // session timeout takes its tasks back without a rebalance
    streams.close(
        CloseOptions.timeout(CLOSE_TIMEOUT)
            .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    http.stop();
    synchronized (this) {
      if (revocationProducer != null) {
        revocationProducer.close(Duration.ofSeconds(5));
      }
    }
    kafka.close();
    metrics.close();
    registry.close();
    terminated.countDown();
  }

  static Properties clientProps(ProcessorConfig config) {
    return config.clientProperties();
  }
}
