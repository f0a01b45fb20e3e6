package org.popbeforesmtp.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.config.EdgeConfig;

/**
 * The whoson server on real loopback sockets (a fake lookup: 127.0.0.5 is granted to alice): a
 * bounded UDP flood of garbage, writes and queries never earns a {@code +} it should not, and a
 * well-behaved TCP client is answered correctly all the while.
 */
class WhosonServerTest {

  @Test
  void shouldNeverAnswerPlusWronglyUnderAUdpFloodAndKeepServingTcp() throws Exception {
    EdgeProtocolsTest.FakeLookup lookup = new EdgeProtocolsTest.FakeLookup();
    Map<String, String> settings = new HashMap<>(EdgeConfig.DEFAULTS);
    settings.put("whoson.port", "0");
    try (EdgeServers servers =
        EdgeServers.start(
            List.of(new WhosonProtocol().configure(settings)),
            new EdgeLookups(
                lookup,
                Duration.ofSeconds(30),
                Duration.ofSeconds(10),
                4096,
                new SimpleMeterRegistry()),
            "127.0.0.1")) {
      int port = servers.port(WhosonProtocol.NAME);
      SplittableRandom random = new SplittableRandom(11);
      String[] kinds = {
        "QUERY 127.0.0.5\r\n\r\n",
        "QUERY 127.0.0.6\r\n\r\n",
        "LOGIN 127.0.0.6 mallory\r\n\r\n",
        "LOGOUT 127.0.0.5\r\n\r\n",
        "QUERY 127.0.0.5\r\nQUERY 127.0.0.6\r\n\r\n",
        "+alice\r\n\r\n",
        "",
      };
      int sent = 20_000;
      int grantedQueries = 0;
      int[] counts = new int[2]; // replies received, of which +alice
      List<String> wrong = new ArrayList<>();
      try (DatagramSocket udp = new DatagramSocket();
          Socket tcp = new Socket(InetAddress.getLoopbackAddress(), port)) {
        udp.setReceiveBufferSize(4 << 20);
        udp.setSoTimeout(1000);
        tcp.setSoTimeout(5000);
        // replies are read as they come, until none has come for a second after the last send
        Thread receiver = new Thread(() -> receive(udp, counts, wrong));
        receiver.start();
        OutputStream tcpOut = tcp.getOutputStream();
        InputStream tcpIn = tcp.getInputStream();
        for (int i = 0; i < sent; i++) {
          int k = random.nextInt(kinds.length + 1);
          byte[] payload;
          if (k == kinds.length) {
            payload = new byte[1 + random.nextInt(1400)];
            random.nextBytes(payload);
          } else {
            payload = kinds[k].getBytes(StandardCharsets.US_ASCII);
            grantedQueries += k == 0 ? 1 : 0;
          }
          udp.send(
              new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), port));
          if (i % 50 == 49) {
            Thread.sleep(1); // a flood, but one loopback socket buffers can carry
          }
          if (i % 1000 == 0) {
            tcpOut.write("QUERY 127.0.0.6\r\n\r\nQUERY 127.0.0.5\r\n\r\n".getBytes());
            assertThat(readReplies(tcpIn, 2)).isEqualTo("-no live grant\r\n\r\n+alice\r\n\r\n");
          }
        }
        receiver.join(30_000);
      }
      synchronized (counts) {
        assertThat(wrong).as("replies that start with + but are not +alice").isEmpty();
        assertThat(counts[1])
            .as("+alice only for a QUERY of 127.0.0.5, the one granted address")
            .isPositive()
            .isLessThanOrEqualTo(grantedQueries);
        assertThat(counts[0])
            .as("the server answered thousands (UDP: what no socket buffer holds is dropped)")
            .isGreaterThan(1000);
      }
    }
  }

  /** Reads replies until none arrives for a second: counts them and the +alice ones. */
  private static void receive(DatagramSocket udp, int[] counts, List<String> wrong) {
    byte[] buffer = new byte[2048];
    while (true) {
      DatagramPacket in = new DatagramPacket(buffer, buffer.length);
      try {
        udp.receive(in);
      } catch (IOException e) {
        return; // a second without a reply (or the socket closed)
      }
      String reply = new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
      synchronized (counts) {
        counts[0]++;
        if (reply.equals("+alice\r\n\r\n")) {
          counts[1]++;
        } else if (reply.startsWith("+")) {
          wrong.add(reply);
        }
      }
    }
  }

  private static String readReplies(InputStream in, int count) throws Exception {
    StringBuilder sb = new StringBuilder();
    int seen = 0;
    while (seen < count) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      sb.append((char) c);
      if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
        seen++;
      }
    }
    return sb.toString();
  }
}
