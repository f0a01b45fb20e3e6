package org.popbeforesmtp.audit;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.GrantRules;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.net.GrantKeys;
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

  /** One replay thread per core: the rules, decoding and fetching are what a replay waits for. */
  public static int defaultThreads() {
    return Runtime.getRuntime().availableProcessors();
  }

  /**
   * Replays {@code [from, to]} and hands the matching intervals and refusals over as they close, in
   * replay-time order. With grants per address and more than one login partition to read, up to
   * {@code threads} replays run side by side, one share of the partitions each (see {@link
   * ParallelReplay}); with prefix grants a key's logins span partitions, so one replay runs.
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
      int threads,
      Consumer<GrantInterval> intervals,
      Consumer<RefusedLogin> refusals,
      HistoryReader.Progress progress) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    long started = System.nanoTime();
    long back = policy.lookBack().toMillis();
    long readFrom = from <= back ? 0 : from - back;
    long end = Math.min(to, now);
    int partitionCount = reader.partitions(topics.logins());
    List<Integer> partitions = partitionsFor(question, policy, partitionCount);
    Predicate<String> keyMatches = keyFilter(question);
    Predicate<GrantInterval> keepInterval =
        i -> i.overlaps(from, to) && keyMatches.test(i.key()) && userMatches(question, i);
    Predicate<RefusedLogin> keepRefusal =
        r -> {
          long t =
              r.event() == null || r.event().getEventTime() == null
                  ? r.arrival()
                  : r.event().getEventTime().toEpochMilli();
          return t >= from && t <= to && keyMatches.test(r.key()) && userMatches(question, r);
        };
    List<Integer> toRead = partitions;
    if (toRead == null) {
      toRead = new ArrayList<>();
      for (int p = 0; p < partitionCount; p++) {
        toRead.add(p);
      }
    }
    // the rules keep nothing of one key that another reads, so a replay may skip keys no answer
    // can come from: other addresses' keys, or for a user the keys the user never logged in from
    Predicate<String> relevant = keyMatches;
    if (question instanceof ForUser u) {
      // two reads of the range: the bar shows both as one
      HistoryReader.Progress whole = progress;
      relevant =
          keysOf(
                  reader,
                  policy,
                  topics,
                  u.username(),
                  readFrom,
                  to,
                  (read, total) -> whole.update(read, 2 * total))
              ::contains;
      progress = (read, total) -> whole.update(total + read, 2 * total);
    }
    int workers = Math.min(threads, toRead.size());
    if (workers > 1 && policy.keys().equals(GrantKeys.PER_ADDRESS)) {
      HistoryReader.Summary read =
          new ParallelReplay(reader, policy, topics, partitionCount, readFrom, to, end, relevant)
              .run(toRead, workers, keepInterval, keepRefusal, intervals, refusals, progress);
      return new Report(
          policy, topics, from, to, readFrom, partitions, read, System.nanoTime() - started);
    }
    AuditReplay replay =
        new AuditReplay(
            policy, readFrom, only(keepInterval, intervals), only(keepRefusal, refusals), relevant);
    HistoryReader.Summary read =
        reader.read(
            topics.logins(), partitions, topics.revocations(), readFrom, to, replay, progress);
    replay.finish(end);
    return new Report(
        policy, topics, from, to, readFrom, partitions, read, System.nanoTime() - started);
  }

  /** Hands over to {@code to} what {@code keep} accepts. */
  static <T> Consumer<T> only(Predicate<T> keep, Consumer<T> to) {
    return t -> {
      if (keep.test(t)) {
        to.accept(t);
      }
    };
  }

  /**
   * The grant keys of {@code username}'s logins in the range: a first pass that only decodes, so
   * that the replay runs the rules for those keys alone (a user's question then costs two reads of
   * the topic and the rules of a few keys, instead of the rules of every key).
   */
  private static Set<String> keysOf(
      HistoryReader reader,
      GrantPolicy policy,
      Topics topics,
      String username,
      long from,
      long to,
      HistoryReader.Progress progress) {
    Set<String> keys = new HashSet<>();
    reader.read(
        topics.logins(),
        null,
        topics.revocations(),
        from,
        to,
        new HistoryReader.Listener() {
          @Override
          public void login(LoginEvent event, long arrival) {
            if (username.equals(event.getUsername()) && event.getClientIp() != null) {
              try {
                keys.add(policy.keys().keyOf(event.getClientIp()));
              } catch (IllegalArgumentException e) {
                // refused as invalid by the replay, which reports it without a key's rules
              }
            }
          }

          @Override
          public void revocation(Revocation revocation, long arrival) {}
        },
        progress);
    return keys;
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

  private static Predicate<String> keyFilter(Question question) {
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

  private static boolean userMatches(Question question, RefusedLogin refused) {
    return !(question instanceof ForUser u)
        || (refused.event() != null && u.username().equals(refused.event().getUsername()));
  }
}
