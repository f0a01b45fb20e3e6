package org.popbeforesmtp.grants;

import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Sends each record to every partition (KIP-837 multicast): a user's or a prefix's grants live in
 * any partition, so every task must see every revocation.
 */
final class BroadcastPartitioner<K, V> implements StreamPartitioner<K, V> {

  @Override
  public Optional<Set<Integer>> partitions(
      String topic, K key, V value, Headers headers, int numPartitions) {
    return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
  }

  // still abstract in Kafka 4.4 though deprecated for removal; Streams calls the variant above
  @Override
  @Deprecated
  @SuppressWarnings("removal")
  public Optional<Set<Integer>> partitions(String topic, K key, V value, int numPartitions) {
    return partitions(topic, key, value, null, numPartitions);
  }
}
