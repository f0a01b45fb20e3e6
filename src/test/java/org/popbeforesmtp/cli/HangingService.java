package org.popbeforesmtp.cli;

import java.time.Duration;

/**
 * A service whose close never returns, run as its own JVM by {@link ServicesStopIT}: prints
 * "running" once it waits for a stop.
 */
public final class HangingService {
  private HangingService() {}

  public static void main(String[] args) throws Exception {
    // says so once runUntilStopped below has had time to register its shutdown hook
    Thread ready =
        new Thread(
            () -> {
              try {
                Thread.sleep(500);
              } catch (InterruptedException e) {
                return;
              }
              System.out.println("running");
              System.out.flush();
            });
    ready.setDaemon(true);
    ready.start();
    System.exit(
        Services.runUntilStopped(
            () -> Thread.sleep(Long.MAX_VALUE), "hanging", Duration.ofSeconds(2)));
  }
}
