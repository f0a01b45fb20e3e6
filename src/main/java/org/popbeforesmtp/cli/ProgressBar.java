package org.popbeforesmtp.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar (done/total, rate, ETA) redrawn at most four times a second on a
 * terminal; silent when output goes to a pipe or file.
 */
final class ProgressBar {
  private static final int WIDTH = 24;
  private static final long REDRAW_NANOS = 250_000_000L;

  private final PrintWriter err;
  private final String label;
  private final String unit;
  private final boolean enabled;
  private final long started = System.nanoTime();
  private long lastDraw;
  private boolean drawn;

  /**
   * @param unit what is counted, for the rate (e.g. "records")
   * @param enabled normally {@link #onTerminal()}
   */
  ProgressBar(PrintWriter err, String label, String unit, boolean enabled) {
    this.err = err;
    this.label = label;
    this.unit = unit;
    this.enabled = enabled;
  }

  /** True when the process talks to a terminal. */
  static boolean onTerminal() {
    return System.console() != null;
  }

  /**
   * @param done units done so far
   * @param total units expected; 0 or less when unknown
   * @param extra appended to the line (may be empty)
   */
  void update(long done, long total, String extra) {
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    if (drawn && now - lastDraw < REDRAW_NANOS && done < total) {
      return;
    }
    lastDraw = now;
    drawn = true;
    double secs = Math.max(1e-3, (now - started) / 1e9);
    double rate = done / secs;
    StringBuilder b = new StringBuilder("\r").append(label).append(' ');
    if (total > 0) {
      double part = Math.min(1.0, (double) done / total);
      int filled = (int) Math.round(part * WIDTH);
      b.append('[')
          .append("#".repeat(filled))
          .append(".".repeat(WIDTH - filled))
          .append("] ")
          .append(String.format(Locale.ROOT, "%3.0f%% ", part * 100));
      long eta = rate > 0 ? Math.round((total - done) / rate) : -1;
      b.append(
          String.format(
              Locale.ROOT,
              "%,d/%,d %s, %,.0f/s, ETA %s",
              done,
              total,
              unit,
              rate,
              eta < 0 ? "?" : eta + "s"));
    } else {
      b.append(String.format(Locale.ROOT, "%,d %s, %,.0f/s", done, unit, rate));
    }
    if (!extra.isEmpty()) {
      b.append(", ").append(extra);
    }
    err.print(b.append("   "));
    err.flush();
  }

  /** Ends the line if anything was drawn. */
  void finish() {
    if (drawn) {
      err.println();
      err.flush();
      drawn = false;
    }
  }
}
