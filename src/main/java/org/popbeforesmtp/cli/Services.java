package org.popbeforesmtp.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
  static int runUntilStopped(AutoCloseable service, String name) throws Exception {
    return runUntilStopped(service, name, STOP_LIMIT);
  }

  /** As above, with another stop limit (for tests of the hard stop). */
  static int runUntilStopped(AutoCloseable service, String name, Duration limit) throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    closeOnShutdown(service, name, limit, stopped);
    stopped.await();
    return 0;
  }

  /**
   * Blocks until the service ends by itself ({@code ended} returns its exit code, e.g. a processor
   * that failed) or the JVM is asked to stop (the hook closes it, within {@link #STOP_LIMIT}).
   */
  static int runUntilEnded(AutoCloseable service, String name, Callable<Integer> ended)
      throws Exception {
    closeOnShutdown(service, name, STOP_LIMIT, new CountDownLatch(1));
    return ended.call();
  }

  /**
   * Runs {@code work} on a thread of its own until it returns its exit code, or until the JVM is
   * asked to stop: the thread is then interrupted and, when {@code waitOnStop}, the stop waits for
   * it to finish (within {@link #STOP_LIMIT}), so that work that flushes on its way out (a
   * publisher's close) is not cut short. What {@code work} throws is thrown here.
   */
  static int runUntilStopped(String name, Callable<Integer> work, boolean waitOnStop)
      throws Exception {
    AtomicReference<Integer> code = new AtomicReference<>();
    AtomicReference<Exception> failure = new AtomicReference<>();
    Thread worker =
        new Thread(
            () -> {
              try {
                code.set(work.call());
              } catch (Exception e) {
                failure.set(e);
              }
            },
            name);
    worker.start();
    return runUntilEnded(
        () -> {
          worker.interrupt();
          if (waitOnStop) {
            worker.join();
          }
        },
        name,
        () -> {
          worker.join();
          if (failure.get() != null) {
            throw failure.get();
          }
          return code.get();
        });
  }

  private static void closeOnShutdown(
      AutoCloseable service, String name, Duration limit, CountDownLatch stopped) {
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
  }
}
