package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.internals.DefaultErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/** What the dead-letter handler does with a bad record, and with a failure that has no record. */
class DeadLetterHandlerTest {
  private final DeadLetterHandler handler = new DeadLetterHandler();

  DeadLetterHandlerTest() {
    handler.configure(
        Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "mail.logins.dlq"));
  }

  private static DefaultErrorHandlerContext context(String topic) {
    return new DefaultErrorHandlerContext(
        null,
        topic,
        topic == null ? -1 : 2,
        topic == null ? -1 : 41,
        new RecordHeaders(),
        "grant-rules",
        new TaskId(0, 2),
        0L,
        topic == null ? null : "203.0.113.5".getBytes(StandardCharsets.UTF_8),
        topic == null ? null : new byte[] {0, 0, 0, 0, 1});
  }

  @Test
  void aBadRecordIsDeadLetteredAndProcessingGoesOn() {
    ProcessingExceptionHandler.Response r =
        handler.handleError(
            context("mail.logins"),
            (Record<?, ?>) null,
            new InvalidEventException("clientIp: not an address"));
    assertThat(r.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
    assertThat(r.deadLetterQueueRecords()).hasSize(1);
    assertThat(r.deadLetterQueueRecords().get(0).topic()).isEqualTo("mail.logins.dlq");
  }

  @Test
  void aFailureOfAPunctuationHasNoRecordAndFailsTheThread() {
    // the expiry scan or the TTL reconcile meeting Kafka's trouble during an outage: nothing to
    // dead-letter (no source record), and the handler must not fail on the missing topic (it once
    // threw a NullPointerException, which stopped the processor for good)
    ProcessingExceptionHandler.Response r =
        handler.handleError(
            context(null),
            (Record<?, ?>) null,
            new IllegalStateException("the previous call to commitTransaction timed out"));
    assertThat(r.result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
    assertThat(r.deadLetterQueueRecords()).isEmpty();
  }
}
