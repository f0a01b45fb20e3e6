package org.popbeforesmtp.config;

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
