package org.popbeforesmtp.edge;

/**
 * "May this client relay now?" for JVM-based MTAs and the edge's protocol servers. The answer comes
 * from a local copy of {@code relay.grants} ({@link GrantCache}), never from a network call; every
 * path that is not a live grant answers not granted.
 */
public interface GrantLookup {

  /** The verdict for a client address in any textual form. */
  Verdict check(String clientAddress);

  /** True once the local copy has caught up with the topic. */
  boolean isReady();

  /** A lookup's answer. */
  enum Outcome {
    GRANTED,
    NOT_GRANTED,
    NOT_READY,
    INVALID
  }

  /**
   * @param expiresAt when the grant ends (GRANTED only), else 0
   * @param detail why, for logs and HTTP
   */
  record Verdict(Outcome outcome, long expiresAt, String detail) {
    static Verdict granted(long expiresAt) {
      return new Verdict(Outcome.GRANTED, expiresAt, "live grant");
    }

    static Verdict none() {
      return new Verdict(Outcome.NOT_GRANTED, 0, "no live grant");
    }

    static Verdict notReady() {
      return new Verdict(Outcome.NOT_READY, 0, "grant cache still loading");
    }

    static Verdict invalid(String why) {
      return new Verdict(Outcome.INVALID, 0, why);
    }

    public boolean granted() {
      return outcome == Outcome.GRANTED;
    }
  }

  /**
   * A started cache on {@code relay.grants} for use inside an MTA-side JVM.
   *
   * @param clientProps Kafka consumer settings; at least {@code bootstrap.servers}
   * @param registryUrl the schema registry
   */
  static GrantCache open(java.util.Properties clientProps, String topic, String registryUrl) {
    return new GrantCache(
            clientProps,
            topic,
            org.popbeforesmtp.registry.SerdeConfig.of(registryUrl).newClient(),
            java.time.Clock.systemUTC(),
            java.time.Duration.ZERO)
        .start();
  }
}
