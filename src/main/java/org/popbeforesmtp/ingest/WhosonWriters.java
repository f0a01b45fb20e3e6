package org.popbeforesmtp.ingest;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.net.InvalidAddressException;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.net.Whoson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * whoson writers ({@link Whoson}): POP and IMAP servers with a whoson hook (qpopper, a custom
 * server) publish without the log tail agent. {@code LOGIN <address> <user>} becomes a successful
 * LOGIN event, {@code LOGOUT <address>} a successful LOGOUT event of the user who last logged in
 * from that address here (a session end extends the grant by the TTL, as every LOGOUT does; whoson
 * LOGOUT carries no user, and one never seen is answered as whosond answers it: nothing done).
 * Writers are limited to loopback and {@code allowed.networks}; the protocol has no field for a
 * shared secret. {@code QUERY} belongs to the edge and is refused here.
 */
public final class WhosonWriters implements Whoson.Answerer {
  private static final Logger LOG = LoggerFactory.getLogger(WhosonWriters.class);

  /** Addresses remembered for LOGOUT (the user of each one's latest LOGIN). */
  static final int REMEMBERED = 100_000;

  private final CidrSet allowed;
  private final String serverId;
  private final Clock clock;
  private final DovecotPolicyEndpoint.LoginSink sink;
  private final Map<String, String> lastUser =
      new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
          return size() > REMEMBERED;
        }
      };
  private final AtomicLong refused = new AtomicLong();

  /**
   * @param allowed writer networks besides loopback
   * @param serverId {@code serverId} of events from a loopback writer (others: their address)
   */
  public WhosonWriters(
      CidrSet allowed, String serverId, Clock clock, DovecotPolicyEndpoint.LoginSink sink) {
    this.allowed = allowed;
    this.serverId = serverId;
    this.clock = clock;
    this.sink = sink;
  }

  @Override
  public String answer(Whoson.Request request) {
    IpAddress writer = writer(request.client());
    if (writer == null) {
      refused.incrementAndGet();
      return "*client "
          + (request.client() == null ? "?" : request.client().getAddress().getHostAddress())
          + " may not write (loopback or allowed.networks only)";
    }
    return switch (request.verb()) {
      case "LOGIN" -> login(request, writer);
      case "LOGOUT" -> logout(request, writer);
      case "QUERY" -> "*QUERY is answered by the edge, not by ingest";
      default -> Whoson.unknownVerb(request);
    };
  }

  private String login(Whoson.Request request, IpAddress writer) {
    if (request.args().size() < 2) {
      return "*LOGIN needs an address and a user";
    }
    String client = canonical(request.address());
    if (client == null) {
      return "*LOGIN: '" + Whoson.printable(request.address()) + "' is not an IP address";
    }
    String user = String.join(" ", request.args().subList(1, request.args().size()));
    if (!publish(client, user, LoginKind.LOGIN, writer)) {
      return "*queue full, try again";
    }
    synchronized (lastUser) {
      lastUser.put(client, user);
    }
    return "+LOGIN OK";
  }

  private String logout(Whoson.Request request, IpAddress writer) {
    if (request.address() == null) {
      return "*LOGOUT needs an address";
    }
    String client = canonical(request.address());
    if (client == null) {
      return "*LOGOUT: '" + Whoson.printable(request.address()) + "' is not an IP address";
    }
    String user;
    synchronized (lastUser) {
      user = lastUser.remove(client);
    }
    if (user == null) {
      return "+LOGOUT no such record, nothing done";
    }
    return publish(client, user, LoginKind.LOGOUT, writer)
        ? "+LOGOUT OK"
        : "*queue full, try again";
  }

  private boolean publish(String client, String user, LoginKind kind, IpAddress writer) {
    LoginEvent event =
        LoginEvent.newBuilder()
            .setEventId("whoson:" + UUID.randomUUID())
            .setEventTime(clock.instant())
            .setClientIp(client)
            .setUsername(user)
            .setProtocol(Protocol.OTHER)
            .setKind(kind)
            .setOutcome(Outcome.SUCCESS)
            .setServerId(writer.isLoopback() ? serverId : writer.toString())
            .setSource("whoson")
            .setSessionId(null)
            .build();
    return sink.submit(event);
  }

  @Override
  public void malformed(Object client, String reason) {
    refused.incrementAndGet();
    LOG.warn("whoson writer {}: {}; refused", client, reason);
  }

  /** Requests refused (writer not allowed, malformed). */
  public long refused() {
    return refused.get();
  }

  private IpAddress writer(InetSocketAddress client) {
    if (client == null) {
      return null;
    }
    try {
      IpAddress address = IpAddress.parse(client.getAddress().getHostAddress());
      return address.isLoopback() || allowed.contains(address) ? address : null;
    } catch (InvalidAddressException e) {
      return null;
    }
  }

  private static String canonical(String address) {
    try {
      return IpAddress.parse(address).toString();
    } catch (InvalidAddressException e) {
      return null;
    }
  }
}
