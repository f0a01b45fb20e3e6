package org.popbeforesmtp.grants;

/**
 * Names of the topics the system reads and writes (DESIGN section 3). Defaults are the documented
 * names; a deployment may prefix or rename them.
 *
 * @param logins login events, keyed by canonical client IP (LoginEvent)
 * @param grants compacted relay grants, keyed by grant key (RelayGrant, tombstone when it ends)
 * @param revocations operator revocations, keyed by target (Revocation)
 * @param deadLetters records that could not be processed, with the reason in headers
 */
public record Topics(String logins, String grants, String revocations, String deadLetters) {

  public Topics {
    requireName("logins", logins);
    requireName("grants", grants);
    requireName("revocations", revocations);
    requireName("dead-letter", deadLetters);
  }

  /** mail.logins, relay.grants, relay.revocations, mail.logins.dlq */
  public static Topics defaults() {
    return new Topics("mail.logins", "relay.grants", "relay.revocations", "mail.logins.dlq");
  }

  /** Every name with {@code prefix} in front (tests use a unique prefix per test). */
  public Topics withPrefix(String prefix) {
    return new Topics(prefix + logins, prefix + grants, prefix + revocations, prefix + deadLetters);
  }

  /**
   * What a client that needs {@code topic} says while it does not exist. Only the processor and
   * {@code topics create} create topics (with the settings the contract needs); every other client
   * runs with auto-creation off, or a broker's {@code auto.create.topics.enable} would create it
   * with the broker's defaults (a relay.grants that is not compacted) and the processor would then
   * refuse to start.
   */
  public static String missing(String topic) {
    return "topic "
        + topic
        + " does not exist yet: start the processor (it creates the topics) or run"
        + " `pop-before-smtp topics create`";
  }

  private static void requireName(String what, String name) {
    if (name == null || name.isBlank() || !name.matches("[a-zA-Z0-9._-]{1,249}")) {
      throw new IllegalArgumentException(
          what
              + " topic name '"
              + name
              + "' is not a valid Kafka topic name (letters, digits, '.', '_', '-')");
    }
  }
}
