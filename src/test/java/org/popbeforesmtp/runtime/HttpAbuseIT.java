package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.testing.Commands;
import org.popbeforesmtp.testing.SteadyClient;

/**
 * The HTTP ports of the edge, ingest and the processor (the dev stack's) under abuse: 10,000
 * connections at once on each, slowloris (a header byte every 500 ms, never a whole request),
 * oversize headers and bodies, half-closed requests. Each server holds at most its connection cap
 * and closes the rest as they arrive, cuts slow requests at its request deadline, answers oversize
 * requests with 431/413 and a half-closed one with an error, never with a 200; a gateway's
 * keep-alive connection to the edge's {@code /v1/check} made before the attack is answered right
 * throughout (its p99 is printed), and every server serves new clients afterwards. Loopback only,
 * bounded in count and time.
 */
class HttpAbuseIT {
  private static final String GRANTED = "203.0.113.9";
  private static final String NOT_GRANTED = "203.0.113.10";

  @TempDir Path dir;

  @Test
  void everyHttpPortStaysUpCappedAndRightUnderFloodsSlowlorisOversizeAndHalfClosedRequests()
      throws Exception {
    try (DevStack stack =
        DevStack.start(
            new DevStack.Settings(
                dir.resolve("dev"), true, 0, 0, 0, 0, 0, Map.of(), Map.of("ttl", "30m")))) {
      Commands.publish(stack.kafka().bootstrapServers(), stack.registry().url(), "alice", GRANTED);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> stack.edge().cache().check(GRANTED).granted());
      Map<String, Integer> ports =
          Map.of(
              "edge", stack.edge().httpPort(),
              "ingest", stack.ingest().httpPort(),
              "processor", stack.processor().httpPort());
      int edge = stack.edge().httpPort();

      try (SteadyClient gateway = gateway(edge)) {
        long heapBefore = usedHeap();
        // 1. ten thousand connections at once on each port, one port after the other
        for (String name : List.of("edge", "ingest", "processor")) {
          List<SocketChannel> flood = new ArrayList<>();
          long start = System.nanoTime();
          try {
            for (int i = 0; i < 10_000; i++) {
              flood.add(
                  SocketChannel.open(
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), ports.get(name))));
            }
            long closed = awaitClosedByServer(flood, Duration.ofSeconds(20));
            long heapDuring = usedHeap();
            System.out.printf(
                "HTTP ABUSE flood on %s: 10000 connections in %.1f s, %d closed at once by the"
                    + " server (cap), %d held; heap %.1f MB before, %.1f MB with them open%n",
                name,
                (System.nanoTime() - start) / 1e9,
                closed,
                10_000 - closed,
                heapBefore / 1e6,
                heapDuring / 1e6);
            assertThat(closed).as("connections over the cap of %s closed", name).isPositive();
            assertThat(heapDuring - heapBefore).isLessThan(300_000_000L);
          } finally {
            for (SocketChannel c : flood) {
              c.close();
            }
          }
          // the port serves a new client once the flood is gone
          await()
              .atMost(Duration.ofSeconds(20))
              .ignoreExceptions()
              .untilAsserted(
                  () ->
                      assertThat(exchange(ports.get(name), get("/metrics"), false))
                          .startsWith("HTTP/1.1 200"));
        }
        assertThat(
                exchange(edge, get("/metrics"), false)
                    .lines()
                    .filter(
                        l ->
                            l.startsWith(
                                "pop_before_smtp_edge_connections_refused_total{protocol=\"http\"}"))
                    .findFirst()
                    .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .orElse(0.0))
            .as("the edge counts the connections it closed at its cap")
            .isGreaterThanOrEqualTo(10_000 - 4096);
        gateway.report("the floods");

        // 2. slowloris on all three: never a whole request, never idle
        List<Socket> slow = new ArrayList<>();
        List<String> names = List.of("edge", "ingest", "processor");
        for (int i = 0; i < 300; i++) {
          Socket s = new Socket(InetAddress.getLoopbackAddress(), ports.get(names.get(i % 3)));
          s.setSoTimeout(1);
          slow.add(s);
        }
        byte[] partial =
            ("GET /v1/check/" + GRANTED + " HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(200))
                .getBytes(StandardCharsets.ISO_8859_1);
        long slowStart = System.nanoTime();
        StringBuilder answers = new StringBuilder();
        for (int b = 0; b < partial.length && anyOpen(slow, answers); b++) {
          for (Socket s : slow) {
            try {
              s.getOutputStream().write(partial[b]);
            } catch (IOException e) {
              // closed by the server: what we want
            }
          }
          Thread.sleep(500);
        }
        assertThat(anyOpen(slow, answers)).as("slow requests still open").isFalse();
        System.out.printf(
            "HTTP ABUSE slowloris: 300 connections (100 per server, a byte every 500 ms) all"
                + " closed by the request deadline (10 s) within %.1f s%n",
            (System.nanoTime() - slowStart) / 1e9);
        assertThat(answers.toString()).doesNotContain(" 200 ");
        for (Socket s : slow) {
          s.close();
        }
        gateway.report("slowloris");

        // 3. oversize: headers over 8 KiB, bodies over 64 KiB
        for (String name : names) {
          assertThat(
                  exchange(
                      ports.get(name),
                      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: "
                          + "a".repeat(100_000)
                          + "\r\n\r\n",
                      true))
              .as("%s on a 100 KB header", name)
              .startsWith("HTTP/1.1 431");
        }
        String body = "{\"login\":\"" + "a".repeat(1_000_000) + "\"}";
        assertThat(
                exchange(
                    ports.get("ingest"),
                    post("/v1/dovecot-policy?command=report", "application/json", body),
                    true))
            .startsWith("HTTP/1.1 413");
        assertThat(
                exchange(
                    ports.get("processor"),
                    post("/v1/revocations", "application/json", body),
                    true))
            .startsWith("HTTP/1.1 413");

        // 4. half-closed: a request cut off mid-way, then the client's end shut
        for (String name : names) {
          String answer =
              exchange(ports.get(name), "GET /v1/check/" + GRANTED + " HTTP/1.1\r\nHo", true);
          assertThat(answer).as("%s on a half-closed request", name).doesNotContain(" 200 ");
        }
        gateway.report("oversize and half-closed requests");
        long heapAfter = usedHeap();
        System.out.printf(
            "HTTP ABUSE heap: %.1f MB before, %.1f MB after%n", heapBefore / 1e6, heapAfter / 1e6);
      }
      // still up: a new gateway is answered right
      assertThat(exchange(edge, get("/v1/check/" + GRANTED), false)).contains("\"relay\":true");
      assertThat(exchange(edge, get("/v1/check/" + NOT_GRANTED), false))
          .contains("\"relay\":false");
    }
  }

  private static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  }

  private static String post(String path, String type, String body) {
    return "POST "
        + path
        + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
        + type
        + "\r\nContent-Length: "
        + body.length()
        + "\r\n\r\n"
        + body;
  }

  /** How many of them the server closed; waits until no more close for 2 s. */
  private static long awaitClosedByServer(List<SocketChannel> channels, Duration atMost)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + atMost.toNanos();
    long closed = 0;
    long last = -1;
    long stableSince = System.nanoTime();
    ByteBuffer buf = ByteBuffer.allocate(256);
    boolean[] done = new boolean[channels.size()];
    for (SocketChannel c : channels) {
      c.configureBlocking(false);
    }
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < channels.size(); i++) {
        if (done[i]) {
          continue;
        }
        buf.clear();
        int n;
        try {
          n = channels.get(i).read(buf);
        } catch (IOException e) {
          n = -1; // reset
        }
        if (n < 0) {
          done[i] = true;
          closed++;
        } else if (n > 0) {
          throw new AssertionError(
              "a connection that sent nothing got an answer: "
                  + new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
        }
      }
      if (closed != last) {
        last = closed;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > 2_000_000_000L && closed > 0) {
        break;
      }
      Thread.sleep(100);
    }
    return closed;
  }

  /** True while the servers have not closed at least one of them; collects what they said. */
  private static boolean anyOpen(List<Socket> sockets, StringBuilder said) {
    boolean open = false;
    for (Socket s : sockets) {
      if (s.isClosed()) {
        continue;
      }
      try {
        InputStream in = s.getInputStream();
        byte[] b = new byte[512];
        int n = in.read(b);
        if (n < 0) {
          s.close();
        } else {
          said.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
          open = true;
        }
      } catch (SocketTimeoutException e) {
        open = true;
      } catch (IOException e) {
        try {
          s.close();
        } catch (IOException ignored) {
          // already gone
        }
      }
    }
    return open;
  }

  /** Sends {@code request} (then half-closes, if asked), returns all the server said. */
  private static String exchange(int port, String request, boolean halfClose) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        if (halfClose) {
          s.shutdownOutput();
        }
      } catch (IOException e) {
        // closed while we wrote (an oversize request): read what came
      }
      ByteArrayOutputStream said = new ByteArrayOutputStream();
      try {
        s.getInputStream().transferTo(said);
      } catch (IOException e) {
        // reset after the answer
      }
      return said.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * An SMTP gateway asking the edge's {@code /v1/check} over one keep-alive connection opened
   * before the attacks, alternately for a granted and a not granted address.
   */
  private static SteadyClient gateway(int port) throws IOException {
    return new SteadyClient(
        "HTTP ABUSE gateway",
        port,
        5,
        (n, in, out) -> {
          boolean granted = n % 2 == 0;
          out.write(
              ("GET /v1/check/"
                      + (granted ? GRANTED : NOT_GRANTED)
                      + " HTTP/1.1\r\nHost: x\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
          String answer = readResponse(in);
          return answer.startsWith("HTTP/1.1 200")
              && answer.contains("\"relay\":" + (granted ? "true" : "false"));
        });
  }

  /** One response: headers, then Content-Length bytes of body. */
  private static String readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("the edge closed the gateway's connection");
      }
      head.append((char) c);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }
}
