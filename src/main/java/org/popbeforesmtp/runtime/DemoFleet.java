package org.popbeforesmtp.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.edge.PolicyProtocol;
import org.popbeforesmtp.ingest.LoginPublisher;

/**
 * {@code dev --demo}: a simulated mail fleet on the dev stack, so a newcomer sees grants appear and
 * expire. Users poll POP3 (some IMAP) from their addresses: most have their own IPv4 or IPv6
 * address, some sit behind one shared NAT address, some keep typing a wrong password. SMTP gateways
 * ask the edge's Postfix policy server about addresses of the pool and unknown ones over persistent
 * connections. A one-line status is reported every second. Everything stays on loopback and stops
 * with the stack.
 */
public final class DemoFleet implements AutoCloseable {
  /** The shared NAT address (TEST-NET-1): with a user cap it becomes a shared address. */
  public static final String SHARED_NAT = "192.0.2.77";

  private static final int SMTP_CONNECTIONS = 4;

  /**
   * @param users simulated mailbox users
   * @param loginsPerSecond login events per second across the fleet; the SMTP side asks twice as
   *     often
   */
  public record Settings(int users, double loginsPerSecond, long seed) {
    public Settings {
      if (users < 1) {
        throw new IllegalArgumentException("--demo-users " + users + " must be at least 1");
      }
      if (!(loginsPerSecond > 0) || loginsPerSecond > 100_000) {
        throw new IllegalArgumentException(
            "--demo-rate " + loginsPerSecond + " must be between 0 and 100000 logins/s");
      }
    }
  }

  private record User(String name, String address, boolean forgetsPassword) {}

  private final DevStack stack;
  private final Settings settings;
  private final List<User> users = new ArrayList<>();
  private final List<String> pool = new ArrayList<>();
  private final Random random;
  private final LoginPublisher publisher;
  private final ScheduledExecutorService timers = Timers.daemon("demo-fleet", 2);
  private final List<Socket> smtp = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicLong logins = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong dunno = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private long lastLogins;
  private long lastReport = System.nanoTime();
  private int nextSmtp;

  private DemoFleet(DevStack stack, Settings settings) {
    this.stack = stack;
    this.settings = settings;
    this.random = new Random(settings.seed());
    for (int i = 0; i < settings.users(); i++) {
      String address;
      int kind = random.nextInt(100);
      if (kind < 15) {
        address = SHARED_NAT;
      } else if (kind < 40) {
        address = "2001:db8:" + Integer.toHexString(1 + i / 200) + "::" + Integer.toHexString(i);
      } else {
        address = (i % 2 == 0 ? "198.51.100." : "203.0.113.") + (1 + i % 250);
      }
      users.add(new User("user" + i, address, random.nextInt(100) < 10));
      if (!pool.contains(address)) {
        pool.add(address);
      }
    }
    Properties props = new Properties();
    props.put("bootstrap.servers", stack.kafka().bootstrapServers());
    this.publisher =
        new LoginPublisher(
            props,
            stack.processor().config().topics().logins(),
            stack.processor().config().registry().newClient(),
            10_000,
            Duration.ofMinutes(1));
  }

  /** Starts the fleet; {@code status} receives a one-line status every second. */
  public static DemoFleet start(DevStack stack, Settings settings, Consumer<String> status)
      throws IOException {
    DemoFleet fleet = new DemoFleet(stack, settings);
    for (int i = 0; i < SMTP_CONNECTIONS; i++) {
      Socket s =
          new Socket(InetAddress.getLoopbackAddress(), stack.edge().port(PolicyProtocol.NAME));
      s.setSoTimeout(5000);
      fleet.smtp.add(s);
    }
    long loginPeriod = Math.max(1, Math.round(1_000_000 / settings.loginsPerSecond()));
    fleet.timers.scheduleAtFixedRate(fleet::login, 0, loginPeriod, TimeUnit.MICROSECONDS);
    fleet.timers.scheduleAtFixedRate(fleet::ask, 0, loginPeriod / 2 + 1, TimeUnit.MICROSECONDS);
    fleet.timers.scheduleAtFixedRate(() -> status.accept(fleet.status()), 1, 1, TimeUnit.SECONDS);
    return fleet;
  }

  private void login() {
    User u = users.get(random.nextInt(users.size()));
    boolean fails = u.forgetsPassword() && random.nextInt(3) > 0;
    LoginEvent event =
        LoginEvent.newBuilder()
            .setEventId("demo:" + UUID.randomUUID())
            .setEventTime(Instant.now())
            .setClientIp(u.address())
            .setUsername(u.name())
            .setProtocol(random.nextInt(4) == 0 ? Protocol.IMAP : Protocol.POP3)
            .setKind(LoginKind.LOGIN)
            .setOutcome(fails ? Outcome.FAILURE : Outcome.SUCCESS)
            .setServerId("demo-pop-" + (1 + random.nextInt(3)))
            .setSource("demo")
            .setSessionId(null)
            .build();
    if (publisher.submit(event)) {
      logins.incrementAndGet();
      if (fails) {
        failed.incrementAndGet();
      }
    }
  }

  private void ask() {
    String address =
        random.nextInt(10) < 7
            ? pool.get(random.nextInt(pool.size()))
            : "192.0.2." + (100 + random.nextInt(100));
    Socket s = smtp.get(nextSmtp++ % smtp.size());
    try {
      OutputStream out = s.getOutputStream();
      out.write(
          ("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address="
                  + address
                  + "\nrecipient=someone@example.net\n\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      String answer = in.readLine();
      in.readLine(); // the empty line ending the reply
      if ("action=OK".equals(answer)) {
        ok.incrementAndGet();
      } else {
        dunno.incrementAndGet();
      }
    } catch (IOException e) {
      errors.incrementAndGet();
    }
  }

  /** The status line: logins/s, live grants at the edge, policy answers, processor counters. */
  String status() {
    long now = System.nanoTime();
    long n = logins.get();
    double rate = (n - lastLogins) / Math.max(1e-3, (now - lastReport) / 1e9);
    lastLogins = n;
    lastReport = now;
    String metrics = processorMetrics();
    return String.format(
        Locale.ROOT,
        "demo: %5.0f logins/s (%,d, %,d failed) | live grants %,d | policy OK %,d DUNNO %,d%s |"
            + " grants started %s, expired %s | shared NAT %s: %s | %s",
        rate,
        n,
        failed.get(),
        stack.edge().cache().size(),
        ok.get(),
        dunno.get(),
        errors.get() == 0 ? "" : " errors " + errors.get(),
        counter(metrics, "pop_before_smtp_grants_started_total"),
        counter(metrics, "pop_before_smtp_grants_expired_total"),
        SHARED_NAT,
        stack.edge().cache().check(SHARED_NAT).granted() ? "granted" : "no grant",
        stack.dashboardUrl());
  }

  private String processorMetrics() {
    try {
      return http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + stack.processor().httpPort() + "/metrics"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static String counter(String metrics, String name) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(name + " ")) {
        return String.format(
            Locale.ROOT, "%,.0f", Double.parseDouble(line.substring(name.length() + 1)));
      }
    }
    return "?";
  }

  /** Logins published so far. */
  public long logins() {
    return logins.get();
  }

  /** Policy answers OK and DUNNO so far. */
  public long answers() {
    return ok.get() + dunno.get();
  }

  @Override
  public void close() {
    timers.shutdownNow();
    try {
      timers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Socket s : smtp) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    publisher.close();
  }
}
