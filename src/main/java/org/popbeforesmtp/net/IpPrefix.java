package org.popbeforesmtp.net;

/**
 * A network: an address with its host bits cleared and a prefix length, e.g. {@code 10.0.0.0/8} or
 * {@code 2001:db8:1:2::/64}. Text form is canonical: the address as {@link IpAddress#toString()}
 * followed by {@code /length}.
 */
public record IpPrefix(IpAddress network, int length) {

  public IpPrefix {
    if (length < 0 || length > network.bitLength()) {
      throw new InvalidAddressException(
          network + "/" + length, "prefix length must be 0-" + network.bitLength());
    }
    if (!network.mask(length).equals(network)) {
      throw new InvalidAddressException(
          network + "/" + length,
          "host bits are set; did you mean " + network.mask(length) + "/" + length + "?");
    }
  }

  /**
   * Parses {@code address/length}, or a bare address as a host prefix (/32 or /128).
   *
   * @throws InvalidAddressException naming the input
   */
  public static IpPrefix parse(String text) {
    if (text == null) {
      throw new InvalidAddressException(null, "no network given");
    }
    int slash = text.indexOf('/');
    if (slash < 0) {
      IpAddress address = IpAddress.parse(text);
      return new IpPrefix(address, address.bitLength());
    }
    IpAddress address = IpAddress.parse(text.substring(0, slash));
    String len = text.substring(slash + 1).strip();
    int length;
    try {
      length = Integer.parseInt(len);
    } catch (NumberFormatException e) {
      throw new InvalidAddressException(text, "prefix length '" + len + "' is not a number");
    }
    if (length < 0 || length > address.bitLength()) {
      throw new InvalidAddressException(text, "prefix length must be 0-" + address.bitLength());
    }
    if (!address.mask(length).equals(address)) {
      throw new InvalidAddressException(
          text, "host bits are set; did you mean " + address.mask(length) + "/" + length + "?");
    }
    return new IpPrefix(address, length);
  }

  /** The prefix of the given length that contains {@code address}. */
  public static IpPrefix of(IpAddress address, int length) {
    return new IpPrefix(address.mask(length), length);
  }

  /** True when this prefix covers exactly one address (/32 for IPv4, /128 for IPv6). */
  public boolean isHost() {
    return length == network.bitLength();
  }

  /** True when {@code address} lies in this network (never across IPv4 and IPv6). */
  public boolean contains(IpAddress address) {
    return address.isV4() == network.isV4() && address.mask(length).equals(network);
  }

  @Override
  public String toString() {
    return network + "/" + length;
  }
}
