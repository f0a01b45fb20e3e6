package org.popbeforesmtp.ingest;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.grants.TopicUnavailableException;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes {@link LoginEvent}s to {@code mail.logins}, keyed by the canonical client IP, with an
 * idempotent producer ({@link ProducerSettings#idempotent}, lz4, small linger). {@link #submit}
 * never blocks its caller (a login must never wait for Kafka): events go into a bounded queue that
 * one sender thread hands to the producer. What cannot be delivered is counted and logged: a full
 * queue (back-pressure beyond the bound), and events Kafka did not take within {@code
 * maxUnavailable}.
 *
 * <p>The record timestamp says when the event reached Kafka ({@link RecordTime#ARRIVAL}), so audit
 * replay sees each event when the processor could first see it, and seeks by it; a backfill of old
 * logs stamps the event time instead ({@link RecordTime#EVENT}), so replay treats each old event as
 * if it had arrived on time.
 */
public final class LoginPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LoginPublisher.class);

  /** What a record's timestamp holds. */
  public enum RecordTime {
    /** When the event was handed to Kafka (live logins). */
    ARRIVAL,
    /** The event's own time (backfill imports of old logs). */
    EVENT
  }

  private final String topic;
  private final RecordTime recordTime;
  private final KafkaProducer<String, LoginEvent> producer;
  private final BlockingQueue<LoginEvent> queue;
  private final Thread sender;
  private final Duration maxUnavailable;
  private volatile boolean running = true;
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private volatile long lastSuccess = System.currentTimeMillis();
  private final Properties adminProps;
  private volatile boolean topicSeen;
  private static final long SILENCE_MS = 10_000;
  private long nextSilenceLog;
  private boolean silent;

  /**
   * @param clientProps Kafka producer settings (bootstrap.servers, security); ours win for
   *     idempotence, acks and serializers
   * @param queueCapacity events held while Kafka is slow or down
   * @param maxUnavailable how long an event may wait for Kafka before it counts as failed
   */
  public LoginPublisher(
      Properties clientProps,
      String topic,
      SchemaRegistryClient registry,
      int queueCapacity,
      Duration maxUnavailable) {
    this(clientProps, topic, registry, queueCapacity, maxUnavailable, RecordTime.ARRIVAL);
  }

  /**
   * @param recordTime what the record timestamps hold: arrival for live logins, event time for
   *     backfills
   */
  public LoginPublisher(
      Properties clientProps,
      String topic,
      SchemaRegistryClient registry,
      int queueCapacity,
      Duration maxUnavailable,
      RecordTime recordTime) {
    this.topic = topic;
    this.recordTime = recordTime;
    this.adminProps = new Properties();
    clientProps.forEach(
        (k, v) -> {
          if (AdminClientConfig.configNames().contains(k.toString())) {
            adminProps.put(k, v);
          }
        });
    this.maxUnavailable = maxUnavailable;
    Properties props = new Properties();
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
    props.putAll(clientProps);
    ProducerSettings.idempotent(props);
    int timeout = (int) Math.max(1000, Math.min(Integer.MAX_VALUE, maxUnavailable.toMillis()));
    // Kafka requires delivery.timeout >= linger + request.timeout
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeout);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(30_000, timeout / 2));
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout);
    this.producer =
        new KafkaProducer<>(
            props, new StringSerializer(), new AvroSerializer<>(LoginEvent.class, registry, true));
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.sender = new Thread(this::drain, "login-publisher");
    this.sender.setDaemon(true);
    this.sender.start();
  }

  /** The record key of an event: its canonical client IP. */
  public static String keyOf(LoginEvent event) {
    return IpAddress.parse(event.getClientIp()).toString();
  }

  private ProducerRecord<String, LoginEvent> record(LoginEvent event) {
    Long timestamp = recordTime == RecordTime.EVENT ? event.getEventTime().toEpochMilli() : null;
    return new ProducerRecord<>(topic, null, timestamp, keyOf(event), event);
  }

  /**
   * Queues an event without blocking. Returns false (counted and logged) when the queue is full.
   *
   * @throws IllegalArgumentException when the client IP is not an address
   */
  public boolean submit(LoginEvent event) {
    keyOf(event);
    submitted.incrementAndGet();
    if (queue.offer(event)) {
      return true;
    }
    long n = rejected.incrementAndGet();
    if (n == 1 || n % 1000 == 0) {
      LOG.error(
          "login queue full ({} events): Kafka has not taken events for {} s; {} events not"
              + " delivered so far",
          queue.size(),
          (System.currentTimeMillis() - lastSuccess) / 1000,
          n);
    }
    return false;
  }

  /** Publishes one event and waits for Kafka's acknowledgement (for the CLI and imports). */
  public RecordMetadata publish(LoginEvent event) throws Exception {
    requireTopic();
    submitted.incrementAndGet();
    try {
      RecordMetadata m =
          producer.send(record(event)).get(maxUnavailable.toMillis() + 5000, TimeUnit.MILLISECONDS);
      published.incrementAndGet();
      lastSuccess = System.currentTimeMillis();
      return m;
    } catch (Exception e) {
      failed.incrementAndGet();
      throw e;
    }
  }

  /**
   * Publishes events and waits until Kafka acknowledged all of them (for the tail agent and
   * imports, which checkpoint only after this returns).
   *
   * @throws Exception the first delivery failure; the caller retries the batch (event ids make the
   *     retry harmless)
   */
  public void publishAll(List<LoginEvent> events) throws Exception {
    requireTopic();
    List<Future<RecordMetadata>> acks = new ArrayList<>(events.size());
    for (LoginEvent event : events) {
      submitted.incrementAndGet();
      acks.add(producer.send(record(event)));
    }
    for (Future<RecordMetadata> ack : acks) {
      try {
        ack.get(maxUnavailable.toMillis() + 5000, TimeUnit.MILLISECONDS);
        published.incrementAndGet();
      } catch (Exception e) {
        failed.incrementAndGet();
        throw e;
      }
    }
    lastSuccess = System.currentTimeMillis();
  }

  private void drain() {
    while (running || !queue.isEmpty()) {
      if (!topicSeen) {
        // the topic is confirmed once, when there is something to send (the one-shot commands
        // never submit: they ask for nothing here); events wait in the queue meanwhile
        if (!running) {
          return; // closing before the topic appeared: close() reports what is still queued
        }
        if (queue.isEmpty()) {
          sleep(100);
        } else {
          awaitTopic(Duration.ofMinutes(1));
        }
        continue;
      }
      LoginEvent event;
      try {
        event = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      watchKafka();
      if (event == null) {
        continue;
      }
      try {
        producer.send(
            record(event),
            (metadata, error) -> {
              if (error == null) {
                published.incrementAndGet();
                lastSuccess = System.currentTimeMillis();
              } else {
                failed.incrementAndGet();
                LOG.error(
                    "login event {} of {} from {} not delivered after {}: {}",
                    event.getEventId(),
                    event.getUsername(),
                    event.getClientIp(),
                    maxUnavailable,
                    error.toString());
              }
            });
      } catch (RuntimeException e) {
        failed.incrementAndGet();
        LOG.error("login event {} not delivered: {}", event.getEventId(), e.toString());
      }
    }
  }

  /**
   * Fails with what stands in the way (the topic is missing: {@link Topics#missing}; Kafka does not
   * answer) when the topic cannot be confirmed within {@code maxUnavailable}: the one-shot commands
   * and the tail agent, which retries.
   */
  private void requireTopic() {
    if (!topicSeen) {
      String problem = awaitTopic(maxUnavailable);
      if (problem != null) {
        throw new TopicUnavailableException(problem);
      }
    }
  }

  /**
   * Waits up to {@code max} for the topic to exist, asking the cluster through an admin client (a
   * producer's metadata request would make a broker with {@code auto.create.topics.enable} create
   * it with the broker's defaults). Logs what it waits for once a minute at most.
   *
   * @return null once the topic exists, else what stood in the way at the end
   */
  private String awaitTopic(Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    long nextLog = 0;
    String problem = "closed while waiting for topic " + topic;
    Admin admin = Admin.create(adminProps);
    try {
      while (running) {
        try {
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(TopicUnavailableException.ANSWER_SECONDS, TimeUnit.SECONDS);
          topicSeen = true;
          return null;
        } catch (ExecutionException e) {
          problem =
              e.getCause() instanceof UnknownTopicOrPartitionException
                  ? Topics.missing(topic)
                  : "cannot ask Kafka whether topic " + topic + " exists: " + e.getCause();
        } catch (TimeoutException e) {
          problem =
              TopicUnavailableException.unreachable(
                  adminProps.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG));
        }
        long now = System.nanoTime();
        if (now >= deadline) {
          return problem;
        }
        if (now >= nextLog) {
          LOG.warn("waiting: {}", problem);
          nextLog = now + TimeUnit.MINUTES.toNanos(1);
        }
        Thread.sleep(Math.min(1000, Math.max(1, (deadline - now) / 1_000_000)));
      }
      return problem;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while waiting for topic " + topic;
    } finally {
      // requests still out to an unreachable cluster are dropped, not awaited
      admin.close(Duration.ZERO);
    }
  }

  /**
   * Says plainly when Kafka stops taking events (events waiting and no acknowledgement for {@link
   * #SILENCE_MS}), once a minute while it lasts, and when it takes them again.
   */
  private void watchKafka() {
    long waiting = submitted.get() - published.get() - failed.get() - rejected.get();
    long now = System.nanoTime();
    long silentMs = System.currentTimeMillis() - lastSuccess;
    if (waiting > 0 && silentMs > SILENCE_MS) {
      if (now >= nextSilenceLog) {
        LOG.warn(
            "Kafka at {} has acknowledged nothing for {} s; {} events waiting (queue holds {} of"
                + " {}): check the brokers",
            adminProps.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG),
            silentMs / 1000,
            waiting,
            queue.size(),
            queue.size() + queue.remainingCapacity());
        nextSilenceLog = now + TimeUnit.MINUTES.toNanos(1);
        silent = true;
      }
    } else if (silent && silentMs <= SILENCE_MS) {
      LOG.info("Kafka takes events again ({} waiting)", waiting);
      silent = false;
      nextSilenceLog = 0;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public long submitted() {
    return submitted.get();
  }

  public long published() {
    return published.get();
  }

  /** Events Kafka did not take in time. */
  public long failed() {
    return failed.get();
  }

  /** Events refused because the queue was full. */
  public long rejected() {
    return rejected.get();
  }

  /** Events waiting in the queue. */
  public int queued() {
    return queue.size();
  }

  /** When Kafka last acknowledged an event. */
  public Instant lastSuccess() {
    return Instant.ofEpochMilli(lastSuccess);
  }

  @Override
  public void close() {
    running = false;
    try {
      sender.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(10));
    if (!queue.isEmpty()) {
      LOG.error("{} login events still queued at shutdown were not delivered", queue.size());
    }
  }
}
