package org.popbeforesmtp.net;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable set of networks (e.g. never-grant CGNAT pools) with a membership test whose cost
 * grows with the number of distinct prefix lengths (at most 33 + 129), not with the number of
 * networks: one hash lookup per length.
 */
public final class CidrSet {
  private static final CidrSet EMPTY = new CidrSet(List.of());

  private final List<IpPrefix> prefixes;
  private final int[] v4Lengths;
  private final int[] v6Lengths;
  private final Map<Integer, Set<IpAddress>> byLength;

  private CidrSet(Collection<IpPrefix> prefixes) {
    this.prefixes = List.copyOf(prefixes);
    Map<Integer, Set<IpAddress>> sets = new HashMap<>();
    TreeMap<Integer, Boolean> v4 = new TreeMap<>();
    TreeMap<Integer, Boolean> v6 = new TreeMap<>();
    for (IpPrefix p : this.prefixes) {
      int slot = slot(p.network().isV4(), p.length());
      sets.computeIfAbsent(slot, k -> new HashSet<>()).add(p.network());
      (p.network().isV4() ? v4 : v6).put(p.length(), Boolean.TRUE);
    }
    this.byLength = Map.copyOf(sets);
    this.v4Lengths = v4.keySet().stream().mapToInt(Integer::intValue).toArray();
    this.v6Lengths = v6.keySet().stream().mapToInt(Integer::intValue).toArray();
  }

  /** The empty set. */
  public static CidrSet empty() {
    return EMPTY;
  }

  /** A set of the given networks. */
  public static CidrSet of(Collection<IpPrefix> prefixes) {
    return prefixes.isEmpty() ? EMPTY : new CidrSet(prefixes);
  }

  /**
   * Parses a comma- or whitespace-separated list such as {@code "100.64.0.0/10, 2001:db8::/32"}.
   *
   * @throws InvalidAddressException naming the first bad entry
   */
  public static CidrSet parse(String list) {
    if (list == null || list.isBlank()) {
      return EMPTY;
    }
    List<IpPrefix> prefixes = new ArrayList<>();
    for (String item : list.split("[,\\s]+")) {
      if (!item.isEmpty()) {
        prefixes.add(IpPrefix.parse(item));
      }
    }
    return of(prefixes);
  }

  private static int slot(boolean v4, int length) {
    return v4 ? length : 1000 + length;
  }

  /** True when any network of this set contains {@code address}. */
  public boolean contains(IpAddress address) {
    int[] lengths = address.isV4() ? v4Lengths : v6Lengths;
    for (int length : lengths) {
      Set<IpAddress> set = byLength.get(slot(address.isV4(), length));
      if (set.contains(address.mask(length))) {
        return true;
      }
    }
    return false;
  }

  /** True when the set holds no network. */
  public boolean isEmpty() {
    return prefixes.isEmpty();
  }

  /** The networks, in the order given. */
  public List<IpPrefix> prefixes() {
    return prefixes;
  }

  @Override
  public String toString() {
    return prefixes.toString();
  }
}
