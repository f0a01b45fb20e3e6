package org.popbeforesmtp.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.popbeforesmtp.edge.GrantCache;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.ingest.LogFollower;
import org.popbeforesmtp.ingest.LogShipper;
import org.popbeforesmtp.ingest.LoginLogParser;
import org.popbeforesmtp.ingest.LoginPublisher;

/** The bench scenario {@code tail-agent}. */
final class TailAgent extends Scenario {
  TailAgent(Bench bench) {
    super(bench);
  }

  @Override
  Result run() throws Exception {
    return tailAgent();
  }

  private static final DateTimeFormatter DOVECOT_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private static String dovecotLine(Random random, int i, Instant at) {
    String ip = Bench.address(random.nextInt(5) == 0 ? random.nextInt(1000) : 1000 + i);
    String service = random.nextInt(10) < 7 ? "pop3-login" : "imap-login";
    return DOVECOT_TIME.format(at)
        + " "
        + service
        + ": Info: Login: user=<user"
        + random.nextInt(50_000)
        + ">, method=PLAIN, rip="
        + ip
        + ", lip=192.0.2.1, mpid="
        + (1000 + i)
        + ", session=<s"
        + Integer.toHexString(i)
        + ">\n";
  }

  private Result tailAgent() throws Exception {
    Result r = new Result("tail-agent", "measure", "value");
    int lines = quick ? 100_000 : 1_000_000;
    Path dir = Files.createDirectories(bench.settings().workDir().resolve("tail"));
    Path log = dir.resolve("dovecot.log");
    Random random = new Random(3);
    Instant at = Instant.now().minusSeconds(60);
    try (Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      for (int i = 0; i < lines; i++) {
        w.write(dovecotLine(random, i, at));
        if (i == lines / 2) {
          w.write(DOVECOT_TIME.format(at) + " master: Info: Dovecot v2.3.19 starting up\n");
        }
      }
    }
    Topics topics = bench.topics("tail", 3);
    LoginLogParser parser = new LoginLogParser(ZoneOffset.UTC, Clock.systemUTC());
    double[] rates = new double[quick ? 1 : 3];
    for (int run = 0; run < rates.length; run++) {
      try (LoginPublisher publisher =
              new LoginPublisher(
                  bench.client(), topics.logins(), bench.registry, 1, Duration.ofMinutes(1));
          LogShipper shipper =
              new LogShipper(
                  List.of(new LogFollower(log, dir.resolve("cp-" + run))),
                  parser,
                  publisher,
                  "bench")) {
        long t = System.nanoTime();
        while (shipper.shipOnce() > 0) {
          // each round returns once Kafka acknowledged its batch
        }
        rates[run] = shipper.lines() / ((System.nanoTime() - t) / 1e9);
        if (shipper.logins() != lines) {
          throw new IllegalStateException("shipped " + shipper.logins() + " of " + lines);
        }
      }
    }
    Stats.Repeated rate = Stats.repeated(rates);
    r.row(
        f0(lines) + " lines, file start → last event acknowledged",
        rate.show("%,.0f") + " lines/s");
    r.figure("linesPerSecond", rate.median());

    // append → edge: the agent's loop as `tail` runs it (poll every 200 ms when idle), on fresh
    // topics so the processor has no backlog
    Topics liveTopics = bench.topics("tail-live", 3);
    try (Pipeline pipeline = pipeline(liveTopics, "bench-tail")) {
      GrantCache edge = pipeline.edge();
      Path live = dir.resolve("live.log");
      Files.writeString(live, "");
      try (LoginPublisher publisher =
              new LoginPublisher(
                  bench.client(), liveTopics.logins(), bench.registry, 1, Duration.ofMinutes(1));
          LogShipper shipper =
              new LogShipper(
                  List.of(new LogFollower(live, dir.resolve("cp-live"))),
                  parser,
                  publisher,
                  "bench")) {
        AtomicBoolean running = new AtomicBoolean(true);
        long[] agentCpu = new long[1];
        Thread agent =
            new Thread(
                () -> {
                  ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                  while (running.get()) {
                    try {
                      if (shipper.shipOnce() == 0) {
                        Thread.sleep(200);
                      }
                    } catch (InterruptedException e) {
                      return;
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                    agentCpu[0] = mx.getCurrentThreadCpuTime();
                  }
                },
                "bench-tail-agent");
        agent.start();
        // idle CPU of the agent over a quiet period
        Thread.sleep(1000);
        long cpu0 = agentCpu[0];
        Thread.sleep(quick ? 3000 : 10_000);
        double idle = (agentCpu[0] - cpu0) / ((quick ? 3000 : 10_000) * 1e6);
        int samples = quick ? 10 : 20;
        for (boolean busy : new boolean[] {false, true}) {
          AtomicBoolean noise = new AtomicBoolean(busy);
          Thread writer =
              new Thread(
                  () -> {
                    // a busy log: 2,000 unrelated lines a second around the measured ones
                    while (noise.get()) {
                      append(
                          live,
                          DOVECOT_TIME.format(Instant.now())
                              + " pop3(user): Info: Disconnected: Logged out top=0/0, retr=1/512, del=0/1, size=512\n"
                                  .repeat(20));
                      LockSupport.parkNanos(10_000_000);
                    }
                  },
                  "bench-noise");
          writer.start();
          long[] lat = new long[samples];
          for (int i = 0; i < samples; i++) {
            String ip = Bench.address(5_000_000 + i + (busy ? 100 : 0));
            long t = System.nanoTime();
            append(
                live,
                DOVECOT_TIME.format(Instant.now())
                    + " pop3-login: Info: Login: user=<probe>, method=PLAIN, rip="
                    + ip
                    + ", lip=192.0.2.1, mpid=1, session=<p"
                    + i
                    + (busy ? "b" : "q")
                    + ">\n");
            while (!edge.check(ip).granted()) {
              if (System.nanoTime() - t > Duration.ofSeconds(30).toNanos()) {
                throw new IllegalStateException("line for " + ip + " never reached the edge");
              }
              LockSupport.parkNanos(200_000);
            }
            lat[i] = System.nanoTime() - t;
            Thread.sleep(150 + random.nextInt(200));
          }
          noise.set(false);
          writer.join();
          Stats.Percentiles pc = Stats.percentiles(lat, samples);
          r.row(
              "append one line → grant at the edge, " + (busy ? "busy log" : "quiet log"),
              String.format(
                  Locale.ROOT,
                  "median %.0f ms (max %.0f ms, %d samples)",
                  pc.p50() / 1e6,
                  pc.max() / 1e6,
                  samples));
          r.figure("medianMs", pc.p50() / 1e6);
        }
        running.set(false);
        agent.join(5000);
        r.row(
            "agent CPU while the log is quiet",
            String.format(Locale.ROOT, "%.2f%% of a core", idle * 100));
        r.figure("idleCpu", idle);
      }
    }
    r.note(
        "Log: "
            + f0(lines)
            + " Dovecot login lines (70% pop3-login, 30% imap-login, 20% repeat addresses, one"
            + " unrelated line half-way). The agent polls every 200 ms when it found nothing.");
    return r;
  }

  private static void append(Path file, String text) {
    try {
      Files.writeString(file, text, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
