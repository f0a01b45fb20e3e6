package org.popbeforesmtp.ingest;

import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;

/** The settings every producer of ours that writes events (logins, revocations) runs with. */
public final class ProducerSettings {
  private ProducerSettings() {}

  /**
   * Idempotent, {@code acks=all}, and one request in flight per broker, set on {@code props} over
   * anything the caller's settings say.
   *
   * <p>One request in flight because of a client bug that lost logins here (KAFKA-14359): with
   * several, a first request that fails retriably (NOT_ENOUGH_REPLICAS while the brokers come back
   * from a full outage) and a second that succeeds leave the first retrying forever with
   * OUT_OF_ORDER_SEQUENCE_NUMBER, until its delivery timeout drops its events. Seen in
   * AllBrokersDownIT: 2 of 50 held reports not delivered. With one in flight a partition's batches
   * go strictly in order, the retry first. The cost is one round trip of waiting for what
   * accumulates meanwhile (it goes in the next request).
   */
  public static Properties idempotent(Properties props) {
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return props;
  }
}
