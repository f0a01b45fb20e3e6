package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.cli.DevCommand;
import org.popbeforesmtp.testing.Commands;

/**
 * The dev stack end to end through its public doors: a login published with the {@code publish}
 * command and a Dovecot report become grants that the edge's HTTP check and policy server answer;
 * after a restart on the same data directory (broker data, dev schemas) the grant is still there.
 */
class DevStackIT {
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private DevStack.Settings settings(boolean fresh) {
    return new DevStack.Settings(
        dir.resolve("dev"), fresh, 0, 0, 0, 0, 0, Map.of(), Map.of("ttl", "10m"));
  }

  private String get(String url) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Sends {@code requests} over one whoson TCP connection, half-closes, returns all replies. */
  private static String whosonTcp(int port, String requests) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.getOutputStream().write(requests.getBytes(StandardCharsets.US_ASCII));
      s.shutdownOutput();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String whosonUdp(int port, String request) throws Exception {
    try (DatagramSocket s = new DatagramSocket()) {
      s.setSoTimeout(5000);
      byte[] out = request.getBytes(StandardCharsets.US_ASCII);
      s.send(new DatagramPacket(out, out.length, InetAddress.getLoopbackAddress(), port));
      DatagramPacket in = new DatagramPacket(new byte[1500], 1500);
      s.receive(in);
      return new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
    }
  }

  private static String policy(int port, String ip) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("request=smtpd_access_policy\nclient_address=" + ip + "\n\n")
              .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      byte[] buf = new byte[64];
      int n = in.read(buf);
      return new String(buf, 0, n, StandardCharsets.US_ASCII);
    }
  }

  /** A Dovecot auth-policy report of a successful IMAP login; the endpoint's answer. */
  private String dovecotReport(DevStack stack, String user, String ip) throws Exception {
    return http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + stack.ingest().httpPort()
                            + "/v1/dovecot-policy?command=report"))
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"login\":\""
                            + user
                            + "\",\"remote\":\""
                            + ip
                            + "\",\"protocol\":\"imap\",\"success\":true,\"session_id\":\"s-"
                            + ip
                            + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void shouldGrantThroughTheStackAndKeepGrantsAcrossARestart() throws Exception {
    try (DevStack stack = DevStack.start(settings(true))) {
      Commands.publish(
          stack.kafka().bootstrapServers(), stack.registry().url(), "alice", "203.0.113.5");
      String edge = "http://127.0.0.1:" + stack.edge().httpPort();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> get(edge + "/v1/check/203.0.113.5").contains("\"relay\":true"));
      assertThat(policy(stack.edge().port("policy"), "203.0.113.5")).isEqualTo("action=OK\n\n");
      assertThat(policy(stack.edge().port("policy"), "203.0.113.6")).isEqualTo("action=DUNNO\n\n");
      int whoson = stack.edge().port("whoson");
      assertThat(whosonTcp(whoson, "QUERY 203.0.113.5\r\n\r\nQUERY 203.0.113.6\r\n\r\n"))
          .isEqualTo("+alice\r\n\r\n-no live grant\r\n\r\n");
      assertThat(whosonUdp(whoson, "QUERY 203.0.113.5\r\n\r\n")).isEqualTo("+alice\r\n\r\n");
      StringWriter banner = new StringWriter();
      DevCommand.printBanner(new PrintWriter(banner), stack, dir);
      for (String line :
          Stream.of(
                  ConfigSnippets.postfixPolicy("127.0.0.1", stack.edge().port("policy")),
                  ConfigSnippets.sendmailHack("127.0.0.1", stack.edge().port("socketmap")),
                  ConfigSnippets.eximAcl("127.0.0.1", whoson))
              .flatMap(List::stream)
              .toList()) {
        assertThat(banner.toString()).contains("  " + line + "\n");
      }
      assertThat(banner.toString()).containsPattern("  dashboard +" + stack.dashboardUrl() + "\n");
      assertThat(get(edge + "/metrics"))
          .contains(
              "pop_before_smtp_edge_lookups_total{protocol=\"policy\",verdict=\"granted\"} 1.0")
          .contains("pop_before_smtp_edge_cache_grants 1.0")
          .contains("pop_before_smtp_edge_cache_bytes");
      // a POP server's whoson hook, through ingest, Kafka and the processor, to the edge
      assertThat(whosonUdp(stack.ingest().whosonPort(), "LOGIN 203.0.113.77 carol\r\n\r\n"))
          .isEqualTo("+LOGIN OK\r\n\r\n");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> whosonUdp(whoson, "QUERY 203.0.113.77\r\n\r\n").equals("+carol\r\n\r\n"));
      assertThat(whosonTcp(stack.ingest().whosonPort(), "LOGOUT 203.0.113.77\r\n\r\n"))
          .isEqualTo("+LOGOUT OK\r\n\r\n");

      assertThat(dovecotReport(stack, "bob", "198.51.100.4")).isEqualTo("{\"status\":0}");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> get(edge + "/v1/check/198.51.100.4").contains("\"relay\":true"));
    }
    try (DevStack again = DevStack.start(settings(false))) {
      assertThat(again.processor().restoredRecords())
          .as("a clean stop leaves checkpointed stores: nothing replayed, no corrupted tasks")
          .isZero();
      String edge = "http://127.0.0.1:" + again.edge().httpPort();
      assertThat(get(edge + "/v1/check/203.0.113.5")).contains("\"relay\":true");
      // the first login after a restart is granted as fast as any (it once took 1.9 s: tasks
      // were still restoring when the processor said ready); ~50 ms here, 10 ms for later ones
      long reported = System.nanoTime();
      assertThat(dovecotReport(again, "dave", "198.51.100.9")).isEqualTo("{\"status\":0}");
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> get(edge + "/v1/check/198.51.100.9").contains("\"relay\":true"));
      assertThat(Duration.ofNanos(System.nanoTime() - reported))
          .as("first login after the restart: report to grant at the edge")
          .isLessThan(Duration.ofSeconds(1));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  get("http://127.0.0.1:"
                          + again.processor().httpPort()
                          + "/v1/grants/198.51.100.4")
                      .contains("\"username\":\"bob\""));
    }
  }

  @Test
  void demoFleetMakesGrantsAppearAndKeepsTheSharedNatClosed() throws Exception {
    try (DevStack stack =
            DevStack.start(
                new DevStack.Settings(
                    dir.resolve("demo"),
                    true,
                    0,
                    0,
                    0,
                    0,
                    0,
                    Map.of(),
                    Map.of("ttl", "30s", "max.users.per.key", "5")));
        DemoFleet fleet =
            DemoFleet.start(stack, new DemoFleet.Settings(200, 50, 42), status::add)) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> stack.edge().cache().size() > 20 && fleet.answers() > 50);
      await().atMost(Duration.ofSeconds(5)).until(() -> !status.isEmpty());
      assertThat(status.get(status.size() - 1))
          .contains("logins/s")
          .contains("live grants")
          .contains("policy OK")
          .endsWith("| http://127.0.0.1:" + stack.processor().httpPort() + "/dashboard");
      assertThat(fleet.logins()).isPositive();
      // 30 of the 200 users share the NAT address: past the cap of 5 it grants nothing
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !stack.edge().cache().check(DemoFleet.SHARED_NAT).granted());
      // and it stays closed while the fleet goes on logging in from it
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(5))
          .until(() -> !stack.edge().cache().check(DemoFleet.SHARED_NAT).granted());
    }
  }

  private final List<String> status = Collections.synchronizedList(new ArrayList<>());
}
