package org.popbeforesmtp.edge;

import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import org.popbeforesmtp.registry.SerdeConfig;

/**
 * "May this client relay now?" for JVM-based MTAs and the edge's protocol servers. The answer comes
 * from a local copy of {@code relay.grants} ({@link GrantCache}), never from a network call; every
 * path that is not a live grant answers not granted.
 */
public interface GrantLookup {

  /** The answer for a client address in any textual form. */
  Answer check(String clientAddress);

  /** True once the local copy has caught up with the topic. */
  boolean isReady();

  /** A lookup's answer. */
  enum Status {
    GRANTED,
    NOT_GRANTED,
    NOT_READY,
    INVALID
  }

  /**
   * @param expiresAt when the grant ends (GRANTED only), else 0
   * @param detail why, for logs and HTTP
   * @param user the grant's user (GRANTED, when the cache keeps users), else null
   */
  record Answer(Status status, long expiresAt, String detail, String user) {
    static Answer granted(long expiresAt, String user) {
      return new Answer(Status.GRANTED, expiresAt, "live grant", user);
    }

    static Answer none() {
      return new Answer(Status.NOT_GRANTED, 0, "no live grant", null);
    }

    static Answer notReady() {
      return new Answer(Status.NOT_READY, 0, "grant cache still loading", null);
    }

    static Answer invalid(String why) {
      return new Answer(Status.INVALID, 0, why, null);
    }

    /** Any path that is not a live grant (errors included). */
    static Answer error(String why) {
      return new Answer(Status.NOT_GRANTED, 0, why, null);
    }

    public boolean granted() {
      return status == Status.GRANTED;
    }
  }

  /**
   * A started cache on {@code relay.grants} for use inside an MTA-side JVM.
   *
   * @param clientProps Kafka consumer settings; at least {@code bootstrap.servers}
   * @param registryUrl the schema registry
   */
  static GrantCache open(Properties clientProps, String topic, String registryUrl) {
    return new GrantCache(
            clientProps,
            topic,
            SerdeConfig.of(registryUrl).newClient(),
            Clock.systemUTC(),
            Duration.ZERO)
        .start();
  }
}
