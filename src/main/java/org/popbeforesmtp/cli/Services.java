package org.popbeforesmtp.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a started service until the JVM is asked to stop (SIGTERM, Ctrl-C), then closes it. */
final class Services {
  private static final Logger LOG = LoggerFactory.getLogger(Services.class);

  private Services() {}

  /** How long a stop may take before the process stops hard. */
  static final Duration STOP_LIMIT = Duration.ofSeconds(30);

  /**
   * Blocks until shutdown; the service is closed by the shutdown hook, within {@link #STOP_LIMIT}
   * (a close that hangs, e.g. a broker thread that does not stop, ends in a hard stop with exit
   * code 1 instead of a process that never exits). Returns exit code 0.
   */
  static int runUntilStopped(AutoCloseable service, String name) throws InterruptedException {
    return runUntilStopped(service, name, STOP_LIMIT);
  }

  /** As above, with another stop limit (for tests of the hard stop). */
  static int runUntilStopped(AutoCloseable service, String name, Duration limit)
      throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  Thread closer =
                      new Thread(
                          () -> {
                            try {
                              service.close();
                            } catch (Exception e) {
                              LOG.warn("{}: error while stopping: {}", name, e.toString());
                            } finally {
                              stopped.countDown();
                            }
                          },
                          name + "-close");
                  closer.setDaemon(true);
                  closer.start();
                  try {
                    if (!stopped.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                      LOG.error(
                          "{} did not stop within {} s; stopping hard", name, limit.toSeconds());
                      Runtime.getRuntime().halt(1);
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                name + "-shutdown"));
    stopped.await();
    return 0;
  }
}
