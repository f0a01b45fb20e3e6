package org.popbeforesmtp.jmh;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.popbeforesmtp.audit.AuditReplay;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.bench.Bench;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.registry.LoginEventDecoder;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;

/**
 * What one login costs audit replay once it is decoded: the live rules on the replay's in-memory
 * store and the grant timeline, for a day of history (bench audit-replay's, in memory, each login
 * arriving at its event time), decoded as the history reader decodes them. No Kafka, and decoding
 * is done in the set-up: the bench's ratio minus those.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AuditReplayPath {
  private static final int LOGINS = 250_000;

  private final List<LoginEvent> day = new ArrayList<>(LOGINS);
  private long end;

  @Setup
  public void setUp() {
    end = System.currentTimeMillis();
    // a quarter of bench audit-replay's day: its density over 6 hours
    Iterator<LoginEvent> history = Bench.history(LOGINS * 4, Duration.ofDays(1), end, 5);
    SchemaRegistryClient registry = SerdeConfig.of("mock://audit-replay-path").newClient();
    AvroSerializer<LoginEvent> serializer = new AvroSerializer<>(LoginEvent.class, registry, true);
    LoginEventDecoder decoder = new LoginEventDecoder(registry);
    for (int i = 0; i < LOGINS * 4; i++) {
      LoginEvent login = history.next();
      if (i >= LOGINS * 3) {
        day.add(decoder.decode("mail.logins", serializer.serialize("mail.logins", login)));
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(LOGINS)
  public long replayPerLogin() {
    long[] intervals = {0};
    AuditReplay replay =
        new AuditReplay(GrantPolicy.defaults(), 0L, i -> intervals[0]++, r -> intervals[0]++);
    for (LoginEvent login : day) {
      replay.login(login, login.getEventTime().toEpochMilli());
    }
    replay.finish(end);
    return intervals[0];
  }
}
