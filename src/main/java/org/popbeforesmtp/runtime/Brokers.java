package org.popbeforesmtp.runtime;

/** Kafka brokers this process started on loopback: one embedded, or a local cluster. */
public interface Brokers extends AutoCloseable {
  /** {@code host:port,...} of the brokers. */
  String bootstrapServers();

  /** How many brokers (what topics can be replicated to). */
  int size();

  @Override
  void close();
}
