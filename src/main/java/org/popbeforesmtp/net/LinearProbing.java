package org.popbeforesmtp.net;

/**
 * The one rule of the open-addressing tables (the edge's grant table, the replay's key states):
 * linear probing in a power-of-two array, deletion by backward shift (no tombstones).
 */
public final class LinearProbing {
  private LinearProbing() {}

  /**
   * Whether the entry at slot {@code i}, whose home slot is {@code home}, moves back into the
   * {@code hole} left by a deletion: it does unless its home lies cyclically in {@code (hole, i]}
   * (moving it there would put it before its home, where a lookup never looks).
   */
  public static boolean fillsHole(int hole, int i, int home) {
    boolean between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
    return !between;
  }
}
