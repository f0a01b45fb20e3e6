package org.popbeforesmtp.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A well-behaved client while a server is attacked: one connection opened before the attack, one
 * request at a time, every answer checked, each latency kept. {@link #report} prints the answers
 * since the last report with their p50, p99 and max, and asserts that all were right and the
 * connection held.
 */
public final class SteadyClient implements AutoCloseable {
  /** One request and its answer on the connection; true when the answer was the right one. */
  public interface Exchange {
    boolean ask(long n, InputStream in, OutputStream out) throws Exception;
  }

  private final String name;
  private final Socket socket;
  private final Exchange exchange;
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong wrong = new AtomicLong();
  private final long[] latencies = new long[1 << 20];
  private volatile Throwable failure;
  private int reported;

  /**
   * Connects to {@code port} on loopback and starts asking, a request every {@code pauseMillis}.
   */
  public SteadyClient(String name, int port, long pauseMillis, Exchange exchange)
      throws IOException {
    this.name = name;
    this.exchange = exchange;
    this.socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(30_000);
    socket.setTcpNoDelay(true);
    this.thread = new Thread(() -> run(pauseMillis), name);
    thread.setDaemon(true);
    thread.start();
  }

  private void run(long pauseMillis) {
    try {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      for (long n = 0; running.get(); n++) {
        long start = System.nanoTime();
        boolean right = exchange.ask(n, in, out);
        long took = System.nanoTime() - start;
        long i = answered.getAndIncrement();
        if (i < latencies.length) {
          latencies[(int) i] = took;
        }
        if (!right) {
          wrong.incrementAndGet();
        }
        Thread.sleep(pauseMillis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      if (running.get()) {
        failure = t;
      }
    }
  }

  /** Answers so far. */
  public long answered() {
    return answered.get();
  }

  /** Prints the answers since the last report and their latencies; asserts all were right. */
  public void report(String during) {
    int n = (int) Math.min(answered.get(), latencies.length);
    long[] window = Arrays.copyOfRange(latencies, reported, n);
    reported = n;
    Arrays.sort(window);
    assertThat(failure).as("%s's connection", name).isNull();
    assertThat(window.length).as("%s's answers during %s", name, during).isPositive();
    System.out.printf(
        "%s during %s: %d answers, %d wrong in all; p50 %.2f ms, p99 %.2f ms, max %.1f ms%n",
        name,
        during,
        window.length,
        wrong.get(),
        window[window.length / 2] / 1e6,
        window[Math.min(window.length - 1, (int) Math.ceil(window.length * 0.99) - 1)] / 1e6,
        window[window.length - 1] / 1e6);
    assertThat(wrong.get()).as("%s's wrong answers", name).isZero();
  }

  /** Stops asking (the connection stays open until {@link #close}). */
  public void stop() {
    running.set(false);
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws IOException {
    running.set(false);
    socket.close(); // ends a read the thread may be blocked in
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
