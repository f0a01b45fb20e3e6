package org.popbeforesmtp.testing;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;

/** Builders of test records with sensible defaults. */
public final class TestEvents {
  private static final AtomicLong IDS = new AtomicLong();

  private TestEvents() {}

  /** A successful POP3 LOGIN of alice from 203.0.113.5 at the given time, with a fresh id. */
  public static LoginEvent.Builder login(Instant at) {
    return LoginEvent.newBuilder()
        .setEventId("ev-" + IDS.incrementAndGet())
        .setEventTime(at)
        .setClientIp("203.0.113.5")
        .setUsername("alice")
        .setProtocol(Protocol.POP3)
        .setKind(LoginKind.LOGIN)
        .setOutcome(Outcome.SUCCESS)
        .setServerId("pop-01")
        .setSource("test")
        .setSessionId(null);
  }
}
