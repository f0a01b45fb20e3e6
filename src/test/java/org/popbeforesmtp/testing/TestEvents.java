package org.popbeforesmtp.testing;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.avro.RevocationScope;

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

  /** A revocation of a key or prefix, effective at the given time. */
  public static Revocation revokeKey(String target, Instant at) {
    return Revocation.newBuilder()
        .setScope(RevocationScope.KEY)
        .setTarget(target)
        .setReason("test")
        .setIssuedBy("abuse-desk")
        .setRevokedAt(at)
        .build();
  }

  /** A revocation of every grant of a user, effective at the given time. */
  public static Revocation revokeUser(String user, Instant at) {
    // built field by field: Avro's copying builder needs the class trusted by Avro's validator
    return Revocation.newBuilder()
        .setScope(RevocationScope.USER)
        .setTarget(user)
        .setReason("test")
        .setIssuedBy("abuse-desk")
        .setRevokedAt(at)
        .build();
  }
}
