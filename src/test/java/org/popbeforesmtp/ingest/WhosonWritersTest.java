package org.popbeforesmtp.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.net.Whoson;

/** whoson LOGIN and LOGOUT from allowed writers become login events; nothing else does. */
class WhosonWritersTest {
  private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 40000);
  private static final InetSocketAddress POP = new InetSocketAddress("192.0.2.20", 40000);
  private static final InetSocketAddress STRANGER = new InetSocketAddress("198.51.100.9", 40000);
  private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");

  private final List<LoginEvent> events = new ArrayList<>();
  private boolean full;
  private final WhosonWriters writers =
      new WhosonWriters(
          CidrSet.parse("192.0.2.0/24"),
          "pop-01",
          Clock.fixed(NOW, ZoneOffset.UTC),
          e -> !full && events.add(e));

  private String send(String line, InetSocketAddress from) {
    return writers.answer(Whoson.parse(line, from));
  }

  @Test
  void shouldTurnLoginAndLogoutIntoSuccessfulEvents() {
    assertThat(send("LOGIN 203.0.113.5 alice", LOCAL)).isEqualTo("+LOGIN OK");
    assertThat(send("login ::ffff:203.0.113.6 bob smith", POP)).isEqualTo("+LOGIN OK");
    assertThat(send("LOGOUT 203.0.113.5", LOCAL)).isEqualTo("+LOGOUT OK");
    assertThat(events)
        .extracting(
            LoginEvent::getClientIp,
            LoginEvent::getUsername,
            LoginEvent::getKind,
            LoginEvent::getOutcome,
            LoginEvent::getServerId,
            LoginEvent::getSource)
        .containsExactly(
            Tuple.tuple(
                "203.0.113.5", "alice", LoginKind.LOGIN, Outcome.SUCCESS, "pop-01", "whoson"),
            Tuple.tuple(
                "203.0.113.6",
                "bob smith",
                LoginKind.LOGIN,
                Outcome.SUCCESS,
                "192.0.2.20",
                "whoson"),
            Tuple.tuple(
                "203.0.113.5", "alice", LoginKind.LOGOUT, Outcome.SUCCESS, "pop-01", "whoson"));
    assertThat(events).allMatch(e -> e.getEventTime().equals(NOW));
    assertThat(events).extracting(LoginEvent::getEventId).doesNotHaveDuplicates();
  }

  @Test
  void shouldPublishNothingForStrangersBadRequestsQueriesOrAnUnknownLogout() {
    assertThat(send("LOGIN 203.0.113.5 alice", STRANGER))
        .isEqualTo("*client 198.51.100.9 may not write (loopback or allowed.networks only)");
    assertThat(send("LOGIN 203.0.113.5", LOCAL)).isEqualTo("*LOGIN needs an address and a user");
    assertThat(send("LOGIN not-an-ip alice", LOCAL))
        .isEqualTo("*LOGIN: 'not-an-ip' is not an IP address");
    assertThat(send("QUERY 203.0.113.5", LOCAL)).startsWith("*QUERY is answered by the edge");
    assertThat(send("LOGOUT 203.0.113.7", LOCAL)).isEqualTo("+LOGOUT no such record, nothing done");
    assertThat(send("LIST", LOCAL)).isEqualTo("*unknown command 'LIST'");
    assertThat(events).isEmpty();
    assertThat(writers.refused()).isEqualTo(1);
  }

  @Test
  void shouldSayWhenTheQueueIsFull() {
    full = true;
    assertThat(send("LOGIN 203.0.113.5 alice", LOCAL)).isEqualTo("*queue full, try again");
    full = false;
    assertThat(send("LOGOUT 203.0.113.5", LOCAL))
        .as("a LOGIN that was not taken is not remembered")
        .isEqualTo("+LOGOUT no such record, nothing done");
  }
}
