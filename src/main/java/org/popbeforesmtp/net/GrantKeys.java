package org.popbeforesmtp.net;

/**
 * Turns a client address into its grant key: the canonical address itself, or the prefix that
 * contains it when prefix grants are configured (e.g. every IPv6 client of a /64 shares one grant).
 * Keys are the Kafka record keys of mail.logins and relay.grants, so every producer and reader must
 * build them through this class.
 *
 * @param ipv4PrefixLength 1-32; 32 (the default) keys each IPv4 address on its own
 * @param ipv6PrefixLength 1-128; 128 (the default) keys each IPv6 address on its own
 */
public record GrantKeys(int ipv4PrefixLength, int ipv6PrefixLength) {

  /** One grant per address: /32 and /128. */
  public static final GrantKeys PER_ADDRESS = new GrantKeys(32, 128);

  public GrantKeys {
    if (ipv4PrefixLength < 1 || ipv4PrefixLength > 32) {
      throw new IllegalArgumentException(
          "IPv4 grant prefix length " + ipv4PrefixLength + " must be 1-32");
    }
    if (ipv6PrefixLength < 1 || ipv6PrefixLength > 128) {
      throw new IllegalArgumentException(
          "IPv6 grant prefix length " + ipv6PrefixLength + " must be 1-128");
    }
  }

  /** Prefix length used for an address of this family. */
  public int prefixLength(IpAddress address) {
    return address.isV4() ? ipv4PrefixLength : ipv6PrefixLength;
  }

  /** The grant key of an address: its canonical text, or {@code network/length}. */
  public String keyOf(IpAddress address) {
    int length = prefixLength(address);
    if (length == address.bitLength()) {
      return address.toString();
    }
    return IpPrefix.of(address, length).toString();
  }

  /**
   * The grant key of a textual address.
   *
   * @throws InvalidAddressException when {@code clientIp} is not an IP address literal
   */
  public String keyOf(String clientIp) {
    if (ipv4PrefixLength == 32 && IpAddress.isDottedQuad(clientIp)) {
      // a dotted quad is canonical already (no leading zeros, nothing around it): the key is the
      // text itself, not a new string (nor an address object) per login
      return clientIp;
    }
    return keyOf(IpAddress.parse(clientIp));
  }

  /**
   * Canonicalizes a key given by a person (a revocation target, an audit question): an address or a
   * prefix in any textual form. A host prefix ({@code /32}, {@code /128}) is the bare address.
   */
  public static String canonicalKey(String keyOrPrefix) {
    IpPrefix prefix = IpPrefix.parse(keyOrPrefix);
    return prefix.isHost() ? prefix.network().toString() : prefix.toString();
  }
}
