package org.popbeforesmtp.bench;

import java.util.Arrays;
import java.util.Locale;

/** Percentiles of recorded values, and the median and spread of repeated runs. */
final class Stats {
  private Stats() {}

  /** Latency percentiles of {@code values} (any unit), sorted in place. */
  record Percentiles(long count, double p50, double p99, double p999, double max) {}

  static Percentiles percentiles(long[] values, int count) {
    if (count == 0) {
      return new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    long[] v = Arrays.copyOf(values, count);
    Arrays.sort(v);
    return new Percentiles(count, at(v, 0.50), at(v, 0.99), at(v, 0.999), v[count - 1]);
  }

  private static double at(long[] sorted, double q) {
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, i)];
  }

  /** The median of repeated runs with their spread (min and max). */
  record Repeated(double median, double min, double max, int runs) {
    String show(String format) {
      if (runs == 1) {
        return String.format(Locale.ROOT, format, median) + " (1 run)";
      }
      return String.format(Locale.ROOT, format, median)
          + " ("
          + String.format(Locale.ROOT, format, min)
          + "–"
          + String.format(Locale.ROOT, format, max)
          + ", "
          + runs
          + " runs)";
    }
  }

  static Repeated repeated(double[] runs) {
    double[] v = runs.clone();
    Arrays.sort(v);
    double median =
        v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    return new Repeated(median, v[0], v[v.length - 1], v.length);
  }
}
