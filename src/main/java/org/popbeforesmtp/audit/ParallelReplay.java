package org.popbeforesmtp.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.config.Topics;
import org.popbeforesmtp.grants.GrantPolicy;

/**
 * A replay split by login partition: each worker thread reads its share of the partitions (and
 * every revocation, which concern all partitions) with its own consumer into its own {@link
 * AuditReplay}, and the calling thread merges what they emit into one stream ordered by replay time
 * (the arrival time of the record being replayed when an interval closed). Sound only when a grant
 * key's logins all lie in one login partition, i.e. keys are single addresses: partitions then
 * share no state but revocations.
 */
final class ParallelReplay {
  /** Chunks a worker may hold in its queue before it waits for the merge. */
  private static final int QUEUE = 64;

  /** Items per chunk: the merge takes a worker's output a chunk at a time, not item by item. */
  private static final int CHUNK = 1_024;

  private static final int MARK_EVERY = 1_000;
  private static final long PROGRESS_EVERY_NANOS = 100_000_000L;

  /** What a worker emits: an interval or a refusal at its replay time, or only that time. */
  private record Item(long clock, GrantInterval interval, Refused refused, boolean last) {}

  private final HistoryReader parent;
  private final GrantPolicy policy;
  private final Topics topics;
  private final int partitionCount;
  private final long readFrom;
  private final long to;
  private final long end;
  private final Predicate<String> relevant;
  private volatile boolean cancelled;

  ParallelReplay(
      HistoryReader parent,
      GrantPolicy policy,
      Topics topics,
      int partitionCount,
      long readFrom,
      long to,
      long end,
      Predicate<String> relevant) {
    this.parent = parent;
    this.policy = policy;
    this.topics = topics;
    this.partitionCount = partitionCount;
    this.readFrom = readFrom;
    this.to = to;
    this.end = end;
    this.relevant = relevant;
  }

  /** One worker: a share of the login partitions, its reader, replay and queue. */
  private final class Worker implements Runnable {
    final List<Integer> partitions;
    final boolean countsRevocations;
    final BlockingQueue<List<Item>> queue = new ArrayBlockingQueue<>(QUEUE);
    List<Item> chunk = new ArrayList<>(CHUNK);
    final Predicate<GrantInterval> keepInterval;
    final Predicate<Refused> keepRefusal;
    volatile long read;
    volatile long total;
    volatile HistoryReader.Summary summary;
    volatile Throwable failure;
    long clock = Long.MIN_VALUE;
    long sinceMark;

    Worker(
        List<Integer> partitions,
        boolean countsRevocations,
        Predicate<GrantInterval> keepInterval,
        Predicate<Refused> keepRefusal) {
      this.partitions = partitions;
      this.countsRevocations = countsRevocations;
      this.keepInterval = keepInterval;
      this.keepRefusal = keepRefusal;
    }

    @Override
    public void run() {
      try (HistoryReader reader = parent.sibling()) {
        AuditReplay replay =
            new AuditReplay(
                policy,
                readFrom,
                Audit.only(keepInterval, i -> emit(new Item(clock, i, null, false))),
                Audit.only(keepRefusal, r -> emit(new Item(clock, null, r, false))),
                relevant);
        summary =
            reader.read(
                topics.logins(),
                partitions,
                topics.revocations(),
                readFrom,
                to,
                new HistoryReader.Listener() {
                  @Override
                  public void login(LoginEvent event, long arrival) {
                    at(arrival);
                    replay.login(event, arrival);
                  }

                  @Override
                  public void revocation(Revocation revocation, long arrival) {
                    at(arrival);
                    replay.revocation(revocation, arrival);
                  }
                },
                (r, t) -> {
                  read = r;
                  total = t;
                });
        clock = Math.max(clock, end);
        replay.finish(end);
      } catch (CancellationException e) {
        // another worker failed: its failure is the one reported
      } catch (RuntimeException | Error e) {
        failure = e;
      } finally {
        chunk.add(new Item(Long.MAX_VALUE, null, null, true));
        flush();
      }
    }

    /** The replay clock moves to {@code arrival}; now and then the merge is told, to move on. */
    private void at(long arrival) {
      if (cancelled) {
        throw new CancellationException("audit replay cancelled");
      }
      clock = Math.max(clock, arrival);
      if (++sinceMark >= MARK_EVERY) {
        sinceMark = 0;
        chunk.add(new Item(clock, null, null, false));
        flush();
      }
    }

    private void emit(Item item) {
      chunk.add(item);
      if (chunk.size() >= CHUNK) {
        flush();
      }
    }

    /** Hands the chunk to the merge; waits while the queue is full (the merge is behind). */
    private void flush() {
      List<Item> full = chunk;
      chunk = new ArrayList<>(CHUNK);
      try {
        while (!queue.offer(full, 100, TimeUnit.MILLISECONDS)) {
          if (cancelled) {
            if (full.get(full.size() - 1).last()) {
              return; // nobody merges any more
            }
            throw new CancellationException("audit replay cancelled");
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancellationException("audit replay interrupted");
      }
    }
  }

  /**
   * Runs the workers over {@code partitions} (round robin) and hands their output over, merged by
   * replay time, on the calling thread.
   */
  HistoryReader.Summary run(
      List<Integer> partitions,
      int threads,
      Predicate<GrantInterval> keepInterval,
      Predicate<Refused> keepRefusal,
      Consumer<GrantInterval> intervals,
      Consumer<Refused> refusals,
      HistoryReader.Progress progress) {
    List<Worker> workers = new ArrayList<>();
    for (int w = 0; w < threads; w++) {
      List<Integer> share = new ArrayList<>();
      for (int i = w; i < partitions.size(); i += threads) {
        share.add(partitions.get(i));
      }
      workers.add(new Worker(share, w == 0, keepInterval, keepRefusal));
    }
    List<Thread> running = new ArrayList<>();
    for (int w = 0; w < workers.size(); w++) {
      Thread t = new Thread(workers.get(w), "audit-replay-" + w);
      t.setDaemon(true);
      t.start();
      running.add(t);
    }
    // each worker's current chunk and the position of its head item in it
    List<List<Item>> chunks = new ArrayList<>();
    int[] at = new int[workers.size()];
    for (int w = 0; w < workers.size(); w++) {
      chunks.add(List.of());
    }
    long lastProgress = System.nanoTime();
    try {
      while (true) {
        int next = -1;
        Item head = null;
        for (int w = 0; w < at.length; w++) {
          if (at[w] == chunks.get(w).size()) {
            chunks.set(w, workers.get(w).queue.take());
            at[w] = 0;
          }
          Item item = chunks.get(w).get(at[w]);
          if (!item.last() && (head == null || item.clock() < head.clock())) {
            next = w;
            head = item;
          }
        }
        if (next < 0) {
          break; // every worker is done
        }
        Item item = head;
        at[next]++;
        if (item.interval() != null) {
          intervals.accept(item.interval());
        } else if (item.refused() != null) {
          refusals.accept(item.refused());
        }
        if (System.nanoTime() - lastProgress > PROGRESS_EVERY_NANOS) {
          lastProgress = System.nanoTime();
          report(workers, progress);
        }
        rethrowFailure(workers);
      }
      rethrowFailure(workers);
      for (Thread t : running) {
        t.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("audit replay interrupted");
    } finally {
      cancelled = true;
      for (Worker w : workers) {
        w.queue.clear();
      }
    }
    report(workers, progress);
    return combine(workers);
  }

  /** A worker's failure ends the replay (the finally block of run cancels the others). */
  private static void rethrowFailure(List<Worker> workers) {
    for (Worker w : workers) {
      if (w.failure != null) {
        throw w.failure instanceof RuntimeException re ? re : new IllegalStateException(w.failure);
      }
    }
  }

  private static void report(List<Worker> workers, HistoryReader.Progress progress) {
    long read = 0;
    long total = 0;
    for (Worker w : workers) {
      read += w.read;
      total += w.total;
    }
    progress.update(read, total);
  }

  /** Each worker read every revocation: those are counted once, from the first worker. */
  private HistoryReader.Summary combine(List<Worker> workers) {
    int partitionsRead = 0;
    long logins = 0;
    long revocations = 0;
    long undecodableCount = 0;
    List<HistoryReader.Undecodable> undecodable = new ArrayList<>();
    for (Worker w : workers) {
      HistoryReader.Summary s = w.summary;
      partitionsRead += s.partitionsRead();
      logins += s.loginRecords();
      undecodableCount += s.undecodableCount() - s.undecodableRevocations();
      if (w.countsRevocations) {
        revocations = s.revocationRecords();
        undecodableCount += s.undecodableRevocations();
      }
      for (HistoryReader.Undecodable u : s.undecodable()) {
        if (w.countsRevocations || !u.topic().equals(topics.revocations())) {
          undecodable.add(u);
        }
      }
    }
    return new HistoryReader.Summary(
        partitionsRead,
        partitionCount,
        logins,
        revocations,
        undecodableCount,
        undecodable,
        workers.get(0).summary.undecodableRevocations());
  }
}
