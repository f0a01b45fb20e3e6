package org.popbeforesmtp.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.runtime.TopicProvisioner;
import org.popbeforesmtp.testing.KafkaBroker;
import org.popbeforesmtp.testing.TestEvents;

/** The history reader against the real broker. */
@ExtendWith(KafkaBroker.class)
class HistoryReaderIT {
  @Test
  void readsTheSameHistoryAgainWithTheSameReader() throws Exception {
    // one poll's worth of records, more than the reader buffers per partition: the read ends with
    // the partition paused (an audit user question reads twice: the user's keys, then the replay)
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("history-reader") + ".");
    SchemaRegistryClient registry =
        SerdeConfig.of("mock://" + KafkaBroker.unique("history-reader")).newClient();
    Properties client = new Properties();
    client.put("bootstrap.servers", KafkaBroker.bootstrapServers());
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.bootstrapServers()))) {
      TopicProvisioner.ensure(admin, topics, 1, -1);
    }
    int n = 3_000;
    Instant start = Instant.parse("2026-03-01T00:00:00Z");
    try (LoginPublisher publisher =
        new LoginPublisher(
            client,
            topics.logins(),
            registry,
            n,
            Duration.ofMinutes(1),
            LoginPublisher.RecordTime.EVENT)) {
      List<LoginEvent> logins = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        logins.add(
            TestEvents.login(start.plusMillis(i))
                .setEventId("h-" + i)
                .setClientIp("10.0." + (i % 7) + "." + (i % 5))
                .build());
      }
      publisher.publishAll(logins);
    }

    try (HistoryReader reader = new HistoryReader(client, registry)) {
      for (int read = 1; read <= 3; read++) {
        List<Long> arrivals = new ArrayList<>();
        HistoryReader.Summary summary =
            assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () ->
                    reader.read(
                        topics.logins(),
                        null,
                        topics.revocations(),
                        0L,
                        Long.MAX_VALUE,
                        new HistoryReader.Listener() {
                          @Override
                          public void login(LoginEvent event, long arrival) {
                            arrivals.add(arrival);
                          }

                          @Override
                          public void revocation(Revocation revocation, long arrival) {}
                        },
                        (done, total) -> {}),
                "read " + read + " of the same history with the same reader");

        assertThat(summary.loginRecords()).as("read %d", read).isEqualTo(n);
        assertThat(arrivals).as("read %d, in arrival order", read).hasSize(n).isSorted();
      }
    }
  }
}
