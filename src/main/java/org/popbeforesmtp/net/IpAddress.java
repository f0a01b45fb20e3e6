package org.popbeforesmtp.net;

import java.util.Arrays;

/**
 * An IPv4 or IPv6 address held as 128 bits, parsed and printed without any DNS lookup.
 *
 * <p>IPv4 addresses keep the low 32 bits of {@link #lo()}. IPv4-mapped IPv6 addresses ({@code
 * ::ffff:1.2.3.4}) become IPv4, square brackets and zone ids ({@code fe80::1%eth0}) are dropped.
 * {@link #toString()} is the canonical text: dotted quad for IPv4, RFC 5952 for IPv6.
 */
public final class IpAddress {
  private static final long MAPPED_V4_MARKER = 0xffffL << 32;

  private final boolean v4;
  private final long hi;
  private final long lo;

  private IpAddress(boolean v4, long hi, long lo) {
    this.v4 = v4;
    this.hi = hi;
    this.lo = lo;
  }

  /** An IPv4 address from its 32 bits. */
  public static IpAddress ofV4(int bits) {
    return new IpAddress(true, 0L, bits & 0xffffffffL);
  }

  /** An IPv6 address from its 128 bits; an IPv4-mapped address becomes IPv4. */
  public static IpAddress ofV6(long hi, long lo) {
    if (hi == 0L && (lo & 0xffffffff00000000L) == MAPPED_V4_MARKER) {
      return ofV4((int) lo);
    }
    return new IpAddress(false, hi, lo);
  }

  /**
   * Parses a textual address: an IPv4 dotted quad or any RFC 4291 IPv6 form, optionally in square
   * brackets and with a zone id.
   *
   * @throws InvalidAddressException naming the input when it is not an IP address literal
   */
  public static IpAddress parse(String text) {
    if (text == null) {
      throw new InvalidAddressException(null, "no address given");
    }
    String s = text.strip();
    if (s.startsWith("[")) {
      if (!s.endsWith("]")) {
        throw new InvalidAddressException(text, "unbalanced '['");
      }
      s = s.substring(1, s.length() - 1);
    }
    int zone = s.indexOf('%');
    if (zone >= 0) {
      if (s.indexOf(':') < 0) {
        throw new InvalidAddressException(text, "a zone id is only allowed on IPv6 addresses");
      }
      s = s.substring(0, zone);
    }
    if (s.isEmpty()) {
      throw new InvalidAddressException(text, "empty address");
    }
    if (s.indexOf(':') >= 0) {
      return parseV6(text, s);
    }
    return ofV4(parseV4(text, s));
  }

  /**
   * Whether {@code text} is an IPv4 address in its canonical dotted-quad form (what {@link
   * #toString()} gives), found without building an address.
   */
  public static boolean isDottedQuad(String text) {
    return dottedQuad(text) >= 0;
  }

  /**
   * The value (0 to 2<sup>32</sup>-1) of an IPv4 address in its canonical dotted-quad form, found
   * without building an address; -1 for any other text.
   */
  public static long dottedQuad(String text) {
    // one pass with parseV4's rules (four parts of 0-255, no leading zeros): this runs on every
    // login, so no address object and no exception for the texts it refuses
    int n = text.length();
    if (n < 7 || n > 15) {
      return -1;
    }
    long value = 0;
    int octet = 0;
    int digits = 0;
    int parts = 0;
    for (int i = 0; i <= n; i++) {
      char c = i < n ? text.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0 || ++parts > 4) {
          return -1;
        }
        value = value << 8 | octet;
        octet = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9' && !(digits == 1 && octet == 0)) {
        octet = octet * 10 + (c - '0');
        if (++digits > 3 || octet > 255) {
          return -1;
        }
      } else {
        return -1;
      }
    }
    return parts == 4 ? value : -1;
  }

  private static int parseV4(String original, String s) {
    int value = 0;
    int parts = 0;
    int i = 0;
    int n = s.length();
    while (i <= n) {
      int start = i;
      int octet = 0;
      while (i < n && s.charAt(i) != '.') {
        char c = s.charAt(i);
        if (c < '0' || c > '9') {
          throw new InvalidAddressException(
              original, "'" + c + "' is not allowed in an IPv4 address (no host names)");
        }
        octet = octet * 10 + (c - '0');
        if (i - start >= 3 || octet > 255) {
          throw new InvalidAddressException(original, "IPv4 part out of range 0-255");
        }
        i++;
      }
      int len = i - start;
      if (len == 0) {
        throw new InvalidAddressException(original, "empty IPv4 part");
      }
      if (len > 1 && s.charAt(start) == '0') {
        throw new InvalidAddressException(
            original, "IPv4 part with a leading zero is ambiguous (octal?)");
      }
      if (++parts > 4) {
        throw new InvalidAddressException(original, "more than 4 IPv4 parts");
      }
      value = (value << 8) | octet;
      i++;
    }
    if (parts != 4) {
      throw new InvalidAddressException(original, "an IPv4 address needs 4 dotted parts");
    }
    return value;
  }

  private static IpAddress parseV6(String original, String s) {
    int[] groups = new int[8];
    int count = 0;
    int gap = -1;
    int n = s.length();
    int i = 0;
    if (s.startsWith("::")) {
      gap = 0;
      i = 2;
      if (n == 2) {
        return ofV6(0L, 0L);
      }
    } else if (s.charAt(0) == ':') {
      throw new InvalidAddressException(original, "IPv6 address starts with a single ':'");
    }
    while (i < n) {
      int start = i;
      int group = 0;
      while (i < n && s.charAt(i) != ':') {
        char c = s.charAt(i);
        if (c == '.') {
          // embedded IPv4 tail, e.g. ::ffff:192.0.2.1
          if (count > 6) {
            throw new InvalidAddressException(original, "too many IPv6 groups");
          }
          int v4 = parseV4(original, s.substring(start));
          groups[count++] = v4 >>> 16;
          groups[count++] = v4 & 0xffff;
          i = n;
          start = -1;
          break;
        }
        int digit = Character.digit(c, 16);
        if (digit < 0) {
          throw new InvalidAddressException(
              original, "'" + c + "' is not allowed in an IPv6 address");
        }
        if (i - start >= 4) {
          throw new InvalidAddressException(original, "IPv6 group longer than 4 hex digits");
        }
        group = (group << 4) | digit;
        i++;
      }
      if (start < 0) {
        break;
      }
      if (i == start) {
        throw new InvalidAddressException(original, "empty IPv6 group");
      }
      if (count >= 8) {
        throw new InvalidAddressException(original, "too many IPv6 groups");
      }
      groups[count++] = group;
      if (i < n) {
        // at a ':'
        i++;
        if (i < n && s.charAt(i) == ':') {
          if (gap >= 0) {
            throw new InvalidAddressException(original, "'::' may appear only once");
          }
          gap = count;
          i++;
        } else if (i == n) {
          throw new InvalidAddressException(original, "IPv6 address ends with a single ':'");
        }
      }
    }
    if (gap >= 0) {
      if (count > 7) {
        throw new InvalidAddressException(original, "'::' must stand for at least one group");
      }
      int tail = count - gap;
      System.arraycopy(groups, gap, groups, 8 - tail, tail);
      Arrays.fill(groups, gap, 8 - tail, 0);
    } else if (count != 8) {
      throw new InvalidAddressException(original, "an IPv6 address needs 8 groups or '::'");
    }
    long hi = 0;
    long lo = 0;
    for (int g = 0; g < 4; g++) {
      hi = (hi << 16) | groups[g];
      lo = (lo << 16) | groups[g + 4];
    }
    return ofV6(hi, lo);
  }

  /** True for IPv4 (including addresses that arrived IPv4-mapped). */
  public boolean isV4() {
    return v4;
  }

  /** True for 127.0.0.0/8 and ::1. */
  public boolean isLoopback() {
    return v4 ? (lo >>> 24) == 127 : hi == 0L && lo == 1L;
  }

  /** Number of bits: 32 or 128. */
  public int bitLength() {
    return v4 ? 32 : 128;
  }

  /** High 64 bits of an IPv6 address; 0 for IPv4. */
  public long hi() {
    return hi;
  }

  /** Low 64 bits of an IPv6 address, or the 32 bits of an IPv4 address. */
  public long lo() {
    return lo;
  }

  /** This address with all bits past the first {@code length} cleared. */
  public IpAddress mask(int length) {
    if (length < 0 || length > bitLength()) {
      throw new IllegalArgumentException(
          "prefix length " + length + " out of range 0-" + bitLength() + " for " + this);
    }
    if (v4) {
      long m = length == 0 ? 0L : (0xffffffffL << (32 - length)) & 0xffffffffL;
      return length == 32 ? this : new IpAddress(true, 0L, lo & m);
    }
    if (length == 128) {
      return this;
    }
    long hiMask = length >= 64 ? -1L : (length == 0 ? 0L : -1L << (64 - length));
    long loMask = length <= 64 ? 0L : -1L << (128 - length);
    return new IpAddress(false, hi & hiMask, lo & loMask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpAddress other && v4 == other.v4 && hi == other.hi && lo == other.lo;
  }

  @Override
  public int hashCode() {
    long h = hi * 31 + lo;
    return (int) (h ^ (h >>> 32)) + (v4 ? 1 : 0);
  }

  /** Canonical text: dotted quad for IPv4, RFC 5952 (lower case, longest zero run as ::). */
  @Override
  public String toString() {
    if (v4) {
      return ((lo >>> 24) & 0xff)
          + "."
          + ((lo >>> 16) & 0xff)
          + "."
          + ((lo >>> 8) & 0xff)
          + "."
          + (lo & 0xff);
    }
    int[] groups = new int[8];
    for (int g = 0; g < 4; g++) {
      groups[g] = (int) ((hi >>> (48 - 16 * g)) & 0xffff);
      groups[g + 4] = (int) ((lo >>> (48 - 16 * g)) & 0xffff);
    }
    // RFC 5952 4.2: shorten the longest run of two or more zero groups, the first one on a tie
    int bestStart = -1;
    int bestLen = 1;
    for (int g = 0; g < 8; ) {
      if (groups[g] != 0) {
        g++;
        continue;
      }
      int start = g;
      while (g < 8 && groups[g] == 0) {
        g++;
      }
      if (g - start > bestLen) {
        bestStart = start;
        bestLen = g - start;
      }
    }
    StringBuilder sb = new StringBuilder(39);
    for (int g = 0; g < 8; g++) {
      if (g == bestStart) {
        sb.append("::");
        g += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[g]));
    }
    return sb.toString();
  }
}
