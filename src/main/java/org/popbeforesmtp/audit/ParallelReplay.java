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
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.Topics;

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
  private static final int QUEUE = 8;

  /** Items per chunk: the merge takes a worker's output a chunk at a time, not item by item. */
  private static final int CHUNK = 1_024;

  private static final int MARK_EVERY = 1_000;
  private static final long PROGRESS_EVERY_NANOS = 100_000_000L;

  /** Items the merge handles between looks at the clock (progress) and at workers' failures. */
  private static final int CHECK_EVERY = 4_096;

  /**
   * A run of a worker's output in its order: each item (an interval, a refusal, or null for a mark
   * that only moves the worker's clock) with the replay time it was emitted at. Times sit in an
   * array of their own, so the merge compares them without loading the items.
   */
  private static final class Chunk {
    final long[] clocks = new long[CHUNK];
    final Object[] items = new Object[CHUNK];
    int size;

    /** The worker's final chunk: nothing follows it. */
    boolean last;

    void add(long clock, Object item) {
      clocks[size] = clock;
      items[size] = item;
      size++;
    }
  }

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
    final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE);
    Chunk chunk = new Chunk();
    final Predicate<GrantInterval> keepInterval;
    final Predicate<RefusedLogin> keepRefusal;
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
        Predicate<RefusedLogin> keepRefusal) {
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
                Audit.only(keepInterval, this::emit),
                Audit.only(keepRefusal, this::emit),
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
        chunk.last = true;
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
        chunk.add(clock, null);
        flush();
      }
    }

    private void emit(Object item) {
      chunk.add(clock, item);
      if (chunk.size == CHUNK) {
        flush();
      }
    }

    /** Hands the chunk to the merge; waits while the queue is full (the merge is behind). */
    private void flush() {
      Chunk full = chunk;
      chunk = new Chunk();
      try {
        while (!queue.offer(full, 100, TimeUnit.MILLISECONDS)) {
          if (cancelled) {
            if (full.last) {
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
      Predicate<RefusedLogin> keepRefusal,
      Consumer<GrantInterval> intervals,
      Consumer<RefusedLogin> refusals,
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
    Chunk[] chunks = new Chunk[workers.size()];
    int[] at = new int[workers.size()];
    for (int w = 0; w < chunks.length; w++) {
      chunks[w] = new Chunk();
    }
    long lastProgress = System.nanoTime();
    long handled = 0;
    try {
      while (true) {
        int next = -1;
        long earliest = Long.MAX_VALUE;
        for (int w = 0; w < chunks.length; w++) {
          while (at[w] == chunks[w].size && !chunks[w].last) {
            chunks[w] = workers.get(w).queue.take();
            at[w] = 0;
          }
          if (at[w] < chunks[w].size && (next < 0 || chunks[w].clocks[at[w]] < earliest)) {
            next = w;
            earliest = chunks[w].clocks[at[w]];
          }
        }
        if (next < 0) {
          break; // every worker is done
        }
        Object item = chunks[next].items[at[next]++];
        if (item instanceof GrantInterval interval) {
          intervals.accept(interval);
        } else if (item instanceof RefusedLogin refused) {
          refusals.accept(refused);
        }
        if (++handled % CHECK_EVERY == 0) {
          if (System.nanoTime() - lastProgress > PROGRESS_EVERY_NANOS) {
            lastProgress = System.nanoTime();
            report(workers, progress);
          }
          rethrowFailure(workers);
        }
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
