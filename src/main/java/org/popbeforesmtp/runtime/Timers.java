package org.popbeforesmtp.runtime;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The one way a service here gets a timer: named daemon threads, which never hold a JVM open. */
final class Timers {
  private Timers() {}

  /** A scheduled executor of {@code threads} daemon threads, each called {@code name}. */
  static ScheduledExecutorService daemon(String name, int threads) {
    return Executors.newScheduledThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }
}
