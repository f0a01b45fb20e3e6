package org.popbeforesmtp.grants;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.popbeforesmtp.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the grant processor does with a record it cannot decode or process: writes the original key
 * and value bytes to the dead-letter topic with the reason in headers (the KIP-1034 format: {@code
 * __streams.errors.exception}, {@code .message}, {@code .topic}, {@code .partition}, {@code
 * .offset}, and {@code .stacktrace} for unexpected exceptions only), and goes on with the next
 * record.
 *
 * <p>A bad record must cost about what a good one does, or a flood of them (a broken or hostile
 * producer) delays every good login behind it: so no stack trace is logged or written for the
 * expected failures ({@link InvalidEventException}, which carries none), and the log gets the first
 * bad record's reason, then at most one summary line per {@link #LOG_INTERVAL_NANOS} with the count
 * and the latest reason, instead of a line per record.
 */
public final class DeadLetterHandler
    implements ProcessingExceptionHandler, DeserializationExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandler.class);
  private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private String topic;
  private long unlogged;
  private long lastLog = System.nanoTime() - LOG_INTERVAL_NANOS;

  @Override
  public void configure(Map<String, ?> configs) {
    Object name = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    if (name == null || name.toString().isBlank()) {
      throw new IllegalArgumentException(
          StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
              + " must name the dead-letter topic");
    }
    this.topic = name.toString();
  }

  @Override
  public ProcessingExceptionHandler.Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (SchemaRegistryException.unavailableIn(exception) != null) {
      return ProcessingExceptionHandler.Response.fail(); // as below: waited for, not dead-lettered
    }
    if (context.topic() == null) {
      // a punctuation (the expiry scan, the TTL reconcile) has no record to dead-letter: what it
      // met is the stream thread's trouble (Kafka during an outage), which fails the thread, and
      // the processor replaces it or stops (ThreadRecovery)
      return ProcessingExceptionHandler.Response.fail();
    }
    return ProcessingExceptionHandler.Response.resume(deadLetter(context, exception));
  }

  /**
   * A record whose schema the registry cannot be asked for right now is not a bad record: it fails
   * the stream thread (nothing of its transaction is committed), and the processor replaces the
   * thread, which reads it again, until the registry answers ({@code ProcessorApp}).
   */
  @Override
  public DeserializationExceptionHandler.Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    if (SchemaRegistryException.unavailableIn(exception) != null) {
      return DeserializationExceptionHandler.Response.fail();
    }
    return DeserializationExceptionHandler.Response.resume(deadLetter(context, exception));
  }

  private List<ProducerRecord<byte[], byte[]>> deadLetter(
      ErrorHandlerContext context, Exception exception) {
    boolean expected = exception instanceof InvalidEventException;
    log(context, exception, expected);
    ProducerRecord<byte[], byte[]> letter =
        new ProducerRecord<>(
            topic, null, context.timestamp(), context.sourceRawKey(), context.sourceRawValue());
    Headers headers = letter.headers();
    for (Header h : context.headers()) {
      headers.add(h);
    }
    headers.add("__streams.errors.exception", utf8(exception.getClass().getName()));
    headers.add("__streams.errors.message", utf8(String.valueOf(exception.getMessage())));
    if (!expected) {
      StringWriter trace = new StringWriter();
      exception.printStackTrace(new PrintWriter(trace));
      headers.add("__streams.errors.stacktrace", utf8(trace.toString()));
    }
    headers.add("__streams.errors.topic", utf8(context.topic()));
    headers.add("__streams.errors.partition", utf8(Integer.toString(context.partition())));
    headers.add("__streams.errors.offset", utf8(Long.toString(context.offset())));
    return List.of(letter);
  }

  /** One line per interval at most; an unexpected exception (a bug) with its stack trace. */
  private synchronized void log(
      ErrorHandlerContext context, Exception exception, boolean expected) {
    unlogged++;
    long now = System.nanoTime();
    if (now - lastLog < LOG_INTERVAL_NANOS) {
      return;
    }
    String where = context.topic() + "-" + context.partition() + "@" + context.offset();
    if (unlogged == 1) {
      LOG.warn(
          "record {} sent to {}: {}",
          where,
          topic,
          exception.getMessage(),
          trace(exception, expected));
    } else {
      LOG.warn(
          "{} records sent to {} in the last {} s; the latest, {}: {}",
          unlogged,
          topic,
          TimeUnit.NANOSECONDS.toSeconds(now - lastLog),
          where,
          exception.getMessage(),
          trace(exception, expected));
    }
    unlogged = 0;
    lastLog = now;
  }

  private static Object trace(Exception exception, boolean expected) {
    return expected ? null : exception;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
