package org.popbeforesmtp.cli;

import java.util.concurrent.CountDownLatch;

/** Runs a started service until the JVM is asked to stop (SIGTERM, Ctrl-C), then closes it. */
final class Services {
  private Services() {}

  /** Blocks until shutdown; the service is closed by the shutdown hook. Returns exit code 0. */
  static int runUntilStopped(AutoCloseable service, String name) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    service.close();
                  } catch (Exception e) {
                    System.err.println(name + ": error while stopping: " + e);
                  } finally {
                    stopped.countDown();
                  }
                },
                name + "-shutdown"));
    stopped.await();
    return 0;
  }
}
