package org.popbeforesmtp.audit;

import java.util.List;
import java.util.function.Consumer;
import org.popbeforesmtp.config.Topics;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.GrantRules;
import org.popbeforesmtp.net.IpAddress;

/**
 * Answers audit questions by replaying {@code mail.logins} and {@code relay.revocations} through
 * {@link AuditReplay} for a time range. A grant open at the range start may have begun a TTL (plus
 * the clock skew) earlier, so reading starts that much before it. A question about one address
 * reads only the partition its records are in.
 */
public final class Audit {
  private Audit() {}

  /** What is asked about. */
  public sealed interface Question permits ForAddress, ForUser, Everything {}

  /** An address or a prefix (its grant keys and the keys inside it). */
  public record ForAddress(String target) implements Question {}

  /** Every key a user's logins granted. */
  public record ForUser(String username) implements Question {}

  /** Every grant and refusal. */
  public record Everything() implements Question {}

  /**
   * How a replay ran: rules, range and what it read.
   *
   * @param from start of the range asked about
   * @param to end of the range asked about (inclusive)
   * @param readFrom records arriving from here were read (from minus TTL and skew)
   * @param partitions the login partitions read; null when all were
   */
  public record Report(
      GrantPolicy policy,
      Topics topics,
      long from,
      long to,
      long readFrom,
      List<Integer> partitions,
      HistoryReader.Summary read,
      long elapsedNanos) {

    /** Records per second over the whole replay. */
    public double rate() {
      double secs = Math.max(1e-9, elapsedNanos / 1e9);
      return (read.loginRecords() + read.revocationRecords()) / secs;
    }
  }

  /**
   * Replays {@code [from, to]} and hands the matching intervals and refusals over as they close.
   *
   * @param now the current time: grants still live at the end of the range are reported running
   */
  public static Report run(
      HistoryReader reader,
      GrantPolicy policy,
      Topics topics,
      Question question,
      long from,
      long to,
      long now,
      Consumer<GrantInterval> intervals,
      Consumer<Refused> refusals,
      HistoryReader.Progress progress) {
    long started = System.nanoTime();
    long back = policy.lookBack().toMillis();
    long readFrom = from <= back ? 0 : from - back;
    long end = Math.min(to, now);
    int partitionCount = reader.partitions(topics.logins());
    List<Integer> partitions = partitionsFor(question, policy, partitionCount);
    java.util.function.Predicate<String> keyMatches = keyFilter(question);
    AuditReplay replay =
        new AuditReplay(
            policy,
            partitionCount,
            readFrom,
            i -> {
              if (i.overlaps(from, to) && keyMatches.test(i.key()) && userMatches(question, i)) {
                intervals.accept(i);
              }
            },
            r -> {
              long t =
                  r.event().getEventTime() == null
                      ? r.arrival()
                      : r.event().getEventTime().toEpochMilli();
              if (t >= from && t <= to && keyMatches.test(r.key()) && userMatches(question, r)) {
                refusals.accept(r);
              }
            },
            keyMatches);
    HistoryReader.Summary read =
        reader.read(
            topics.logins(),
            partitions,
            topics.revocations(),
            readFrom,
            to,
            new HistoryReader.Listener() {
              @Override
              public void login(org.popbeforesmtp.avro.LoginEvent event, long arrival) {
                replay.login(event, arrival);
              }

              @Override
              public void revocation(org.popbeforesmtp.avro.Revocation revocation, long arrival) {
                replay.revocation(revocation, arrival);
              }
            },
            progress);
    replay.finish(end);
    return new Report(
        policy, topics, from, to, readFrom, partitions, read, System.nanoTime() - started);
  }

  /**
   * The login partitions holding a question's records: one for an address granted per address
   * (records are keyed by the canonical client address), else all (null).
   */
  static List<Integer> partitionsFor(Question question, GrantPolicy policy, int partitionCount) {
    if (question instanceof ForAddress a) {
      String target = GrantRules.canonicalTarget(a.target());
      if (!target.contains("/")) {
        IpAddress address = IpAddress.parse(target);
        if (policy.keys().keyOf(address).equals(target)) {
          return List.of(AuditReplay.partitionOf(target, partitionCount));
        }
      }
    }
    return null;
  }

  private static java.util.function.Predicate<String> keyFilter(Question question) {
    if (question instanceof ForAddress a) {
      String target = GrantRules.canonicalTarget(a.target());
      return key -> {
        try {
          return GrantRules.covers(target, key);
        } catch (IllegalArgumentException e) {
          return false; // an invalid address in a refused record
        }
      };
    }
    return key -> true;
  }

  private static boolean userMatches(Question question, GrantInterval interval) {
    return !(question instanceof ForUser u) || interval.users().contains(u.username());
  }

  private static boolean userMatches(Question question, Refused refused) {
    return !(question instanceof ForUser u)
        || (refused.event() != null && u.username().equals(refused.event().getUsername()));
  }
}
