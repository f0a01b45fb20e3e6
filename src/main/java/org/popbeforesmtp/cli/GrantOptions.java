package org.popbeforesmtp.cli;

import java.util.Map;
import org.popbeforesmtp.grants.GrantPolicy;
import picocli.CommandLine.Option;

/**
 * The grant rules' settings, shared by {@code processor}, {@code audit} and {@code dev}: unset
 * options fall back to the config file, the environment, then the built-in defaults.
 */
final class GrantOptions {
  @Option(
      names = "--ttl",
      description = "How long a login grants relay (default " + GrantPolicy.DEFAULT_TTL + ").")
  String ttl;

  @Option(
      names = "--max-future-skew",
      description =
          "Events dated further ahead go to the DLQ (default "
              + GrantPolicy.DEFAULT_MAX_FUTURE_SKEW
              + ").")
  String maxFutureSkew;

  @Option(
      names = "--ipv4-prefix-length",
      description = "Grant per IPv4 prefix of this length (default 32).")
  String ipv4Prefix;

  @Option(
      names = "--ipv6-prefix-length",
      description = "Grant per IPv6 prefix of this length (default 128; 64 for /64 grants).")
  String ipv6Prefix;

  @Option(
      names = "--never-grant",
      description = "CIDRs whose logins never grant, comma-separated (default: none).")
  String neverGrant;

  @Option(
      names = "--max-users-per-key",
      description = "More distinct users per grant marks a shared address (default 0 = off).")
  String maxUsers;

  /** Adds the given options under their setting names. */
  void putInto(Map<String, String> flags) {
    flags.put("ttl", ttl);
    flags.put("max.future.skew", maxFutureSkew);
    flags.put("ipv4.prefix.length", ipv4Prefix);
    flags.put("ipv6.prefix.length", ipv6Prefix);
    flags.put("never.grant", neverGrant);
    flags.put("max.users.per.key", maxUsers);
  }
}
