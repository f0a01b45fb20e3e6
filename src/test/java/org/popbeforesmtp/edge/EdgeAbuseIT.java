package org.popbeforesmtp.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.testing.SteadyClient;

/**
 * The edge's protocol servers on real loopback sockets under abuse (a fake lookup: 127.0.0.5 is
 * granted): 10,000 connections at once, slowloris, oversize requests, half-open connections. The
 * servers stay up with bounded memory, never answer a grant wrongly, and a well-behaved policy
 * client connected before the attack is answered right all along (its p99 is printed). All traffic
 * on loopback, bounded in count and time.
 */
class EdgeAbuseIT {
  private static final int CAP = 2000;
  private static final String POLICY_REQUEST =
      "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\n\n";

  @Test
  void theEdgeStaysUpAndAnswersRightUnderFloodsSlowlorisOversizeAndHalfOpenConnections()
      throws Exception {
    EdgeProtocolsTest.FakeLookup lookup = new EdgeProtocolsTest.FakeLookup();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    Map<String, String> settings = new HashMap<>(EdgeConfig.DEFAULTS);
    EdgeProtocol.all().forEach(p -> settings.put(p.port().name(), "0"));
    List<EdgeProtocol.Server> configured =
        EdgeProtocol.all().stream().map(p -> p.configure(settings)).toList();
    // the flood against an edge whose idle timeout (60 s) outlasts opening 10,000 connections
    EdgeLookups patient =
        new EdgeLookups(lookup, Duration.ofSeconds(60), Duration.ofSeconds(2), CAP, metrics);
    try (EdgeServers servers = EdgeServers.start(configured, patient, "127.0.0.1");
        SteadyClient client = policyClient(servers.port(PolicyProtocol.NAME))) {
      int policy = servers.port(PolicyProtocol.NAME);
      long heapBefore = usedHeap();

      // 1. ten thousand connections at once: CAP are held, the rest closed as they arrive
      List<SocketChannel> flood = new ArrayList<>();
      try {
        for (int i = 0; i < 10_000; i++) {
          flood.add(
              SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), policy)));
        }
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    counter(metrics, "pop_before_smtp_edge_connections_refused", "policy")
                        >= 10_000 - CAP);
        long heapDuring = usedHeap();
        int open =
            (int)
                metrics
                    .get("pop_before_smtp_edge_connections")
                    .tag("protocol", "policy")
                    .gauge()
                    .value();
        System.out.printf(
            "ABUSE flood: 10000 connections, %d held (cap %d, incl. the good client), %.0f refused;"
                + " heap %.1f MB before, %.1f MB with them open%n",
            open,
            CAP,
            counter(metrics, "pop_before_smtp_edge_connections_refused", "policy"),
            heapBefore / 1e6,
            heapDuring / 1e6);
        assertThat(open).isLessThanOrEqualTo(CAP);
        assertThat(heapDuring - heapBefore)
            .as("heap for 2000 held connections")
            .isLessThan(200_000_000L);
        assertThat(client.answered())
            .as("the good client is answered during the flood")
            .isPositive();
      } finally {
        for (SocketChannel c : flood) {
          c.close();
        }
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  metrics
                          .get("pop_before_smtp_edge_connections")
                          .tag("protocol", "policy")
                          .gauge()
                          .value()
                      <= 1);
      client.stop();
      client.report("flood");
    }

    // the rest against an edge with a 4 s idle timeout
    SimpleMeterRegistry metrics2 = new SimpleMeterRegistry();
    EdgeLookups lookups =
        new EdgeLookups(lookup, Duration.ofSeconds(4), Duration.ofSeconds(2), CAP, metrics2);
    try (EdgeServers servers = EdgeServers.start(configured, lookups, "127.0.0.1")) {
      int policy = servers.port(PolicyProtocol.NAME);
      int socketmap = servers.port(SocketmapProtocol.NAME);
      int whoson = servers.port(WhosonProtocol.NAME);
      try (SteadyClient client = policyClient(policy)) {
        // 2. slowloris on every protocol: a byte every 500 ms (never idle), never a whole request
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          Socket s =
              new Socket(
                  InetAddress.getLoopbackAddress(), new int[] {policy, socketmap, whoson}[i % 3]);
          s.setSoTimeout(100);
          slow.add(s);
        }
        String[] prefixes = {
          POLICY_REQUEST.formatted("127.0.0.5"), "20:grants 127.0.0.5,", "QUERY 127.0.0.5\r\n\r\n"
        };
        long slowStart = System.nanoTime();
        for (int b = 0; b < 12 && anyOpen(slow); b++) {
          for (int i = 0; i < slow.size(); i++) {
            String text = prefixes[i % 3];
            // all but the last byte of a request: it never completes
            if (b < text.length() - 1) {
              try {
                slow.get(i).getOutputStream().write(text.charAt(b));
              } catch (IOException e) {
                // closed by the server: what we want
              }
            }
          }
          Thread.sleep(500);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !anyOpen(slow));
        System.out.printf(
            "ABUSE slowloris: 300 connections (100 per protocol) closed by the request deadline"
                + " (2 s) within %.1f s; %.0f timed out%n",
            (System.nanoTime() - slowStart) / 1e9,
            counter(metrics2, "pop_before_smtp_edge_requests_timed_out", "policy")
                + counter(metrics2, "pop_before_smtp_edge_requests_timed_out", "socketmap")
                + counter(metrics2, "pop_before_smtp_edge_requests_timed_out", "whoson"));
        for (Socket s : slow) {
          s.close();
        }

        // 3. oversize requests: each protocol's error reply (or none), then the close
        assertThat(exchange(policy, "request=smtpd_access_policy\nx=" + "a".repeat(40_000)))
            .isEmpty();
        assertThat(exchange(socketmap, "99999999:")).startsWith("").contains("PERM");
        assertThat(exchange(whoson, "QUERY 127.0.0.5 " + "x".repeat(2_000)))
            .startsWith("*whoson request line longer");

        // 4. half-open: connections that never send are closed after the idle timeout (4 s)
        List<Socket> quiet = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          Socket s =
              new Socket(
                  InetAddress.getLoopbackAddress(), new int[] {policy, socketmap, whoson}[i % 3]);
          s.setSoTimeout(100);
          quiet.add(s);
        }
        long quietStart = System.nanoTime();
        await().atMost(Duration.ofSeconds(15)).until(() -> !anyOpen(quiet));
        System.out.printf(
            "ABUSE half-open: 300 silent connections closed after %.1f s (idle timeout 4 s)%n",
            (System.nanoTime() - quietStart) / 1e9);
        for (Socket s : quiet) {
          s.close();
        }

        client.stop();
        client.report("slowloris, oversize, half-open");
      }
      // still up: a new connection is served
      assertThat(exchange(whoson, "QUERY 127.0.0.5\r\n\r\n")).isEqualTo("+alice\r\n\r\n");
    }
  }

  private static double counter(SimpleMeterRegistry metrics, String name, String protocol) {
    return metrics.get(name).tag("protocol", protocol).functionCounter().count();
  }

  /** True while the server has not closed at least one of them. */
  private static boolean anyOpen(List<Socket> sockets) {
    for (Socket s : sockets) {
      if (!s.isClosed() && !closedByPeer(s)) {
        return true;
      }
    }
    return false;
  }

  private static boolean closedByPeer(Socket s) {
    try {
      InputStream in = s.getInputStream();
      while (true) {
        int c = in.read();
        if (c < 0) {
          return true;
        }
        if (c == '+' || c == 'O') {
          throw new AssertionError("an abusive connection got a grant-like byte: " + (char) c);
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  /** Sends {@code request}, returns all the server said before it closed. */
  private static String exchange(int port, String request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        s.shutdownOutput();
      } catch (IOException e) {
        // closed while we wrote: read what came
      }
      try {
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    }
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return heap.getUsed();
  }

  /** A policy client like smtpd: one connection, a request at a time, every answer checked. */
  private static SteadyClient policyClient(int port) throws IOException {
    return new SteadyClient(
        "ABUSE good policy client",
        port,
        2,
        (n, in, out) -> {
          boolean granted = n % 2 == 0;
          out.write(
              POLICY_REQUEST
                  .formatted(granted ? "127.0.0.5" : "127.0.0.6")
                  .getBytes(StandardCharsets.US_ASCII));
          byte[] buffer = new byte[256];
          StringBuilder reply = new StringBuilder();
          while (reply.indexOf("\n\n") < 0) {
            int read = in.read(buffer);
            if (read < 0) {
              throw new IOException("the server closed the good client's connection");
            }
            reply.append(new String(buffer, 0, read, StandardCharsets.US_ASCII));
          }
          return reply.toString().equals(granted ? "action=OK\n\n" : "action=DUNNO\n\n");
        });
  }
}
