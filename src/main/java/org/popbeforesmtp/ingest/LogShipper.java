package org.popbeforesmtp.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.popbeforesmtp.avro.LoginEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships logins from followed log files to {@code mail.logins}: polls each {@link LogFollower},
 * parses the new lines, publishes the logins and waits for Kafka's acks, and only then commits the
 * followers' checkpoints. Event ids are derived from the server, the file's inode, the line's
 * offset and its checksum, so a batch retried after a crash is deduplicated by the processor. Lines
 * that are not logins are counted, never fatal.
 */
public final class LogShipper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LogShipper.class);

  private final List<LogFollower> followers;
  private final LoginLogParser parser;
  private final LoginPublisher publisher;
  private final String serverId;
  private final AtomicLong lines = new AtomicLong();
  private final AtomicLong logins = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private volatile long lastOffset;

  public LogShipper(
      List<LogFollower> followers,
      LoginLogParser parser,
      LoginPublisher publisher,
      String serverId) {
    this.followers = List.copyOf(followers);
    this.parser = parser;
    this.publisher = publisher;
    this.serverId = serverId;
  }

  /**
   * One round over all files.
   *
   * @return lines read in this round
   */
  public int shipOnce() throws Exception {
    int read = 0;
    for (LogFollower follower : followers) {
      List<LogFollower.Line> batch = follower.poll();
      if (batch.isEmpty()) {
        continue;
      }
      List<LoginEvent> events = new ArrayList<>();
      for (LogFollower.Line line : batch) {
        Optional<LoginLogParser.ParsedLogin> parsed = parser.parse(line.text());
        if (parsed.isPresent()) {
          events.add(event(follower, line, parsed.get()));
        } else {
          skipped.incrementAndGet();
        }
      }
      publisher.publishAll(events);
      follower.commit(batch.get(batch.size() - 1));
      lastOffset = batch.get(batch.size() - 1).end();
      lines.addAndGet(batch.size());
      logins.addAndGet(events.size());
      read += batch.size();
    }
    return read;
  }

  /**
   * Ships lines that come from a stream rather than a file (syslog piping into stdin): no
   * checkpoint; event ids from the stream's start time and the line number.
   */
  public void shipStream(List<String> batch, long streamId, long firstLineNumber) throws Exception {
    List<LoginEvent> events = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      Optional<LoginLogParser.ParsedLogin> parsed = parser.parse(batch.get(i));
      if (parsed.isPresent()) {
        LogFollower.Line line =
            new LogFollower.Line(
                streamId, firstLineNumber + i, firstLineNumber + i + 1, batch.get(i));
        events.add(event("stdin", line, parsed.get()));
      } else {
        skipped.incrementAndGet();
      }
    }
    publisher.publishAll(events);
    lines.addAndGet(batch.size());
    logins.addAndGet(events.size());
  }

  private LoginEvent event(
      LogFollower follower, LogFollower.Line line, LoginLogParser.ParsedLogin p) {
    return event("tail:" + follower.path(), line, p);
  }

  private LoginEvent event(String source, LogFollower.Line line, LoginLogParser.ParsedLogin p) {
    CRC32 crc = new CRC32();
    crc.update(line.text().getBytes(StandardCharsets.UTF_8));
    return LoginEvent.newBuilder()
        .setEventId(
            "log:"
                + serverId
                + ":"
                + line.inode()
                + ":"
                + line.offset()
                + ":"
                + Long.toHexString(crc.getValue()))
        .setEventTime(p.time())
        .setClientIp(p.clientIp())
        .setUsername(p.username())
        .setProtocol(p.protocol())
        .setKind(p.kind())
        .setOutcome(p.outcome())
        .setServerId(serverId)
        .setSource(source)
        .setSessionId(p.sessionId())
        .build();
  }

  /** Lines read, logins published, lines that were not logins. */
  public long lines() {
    return lines.get();
  }

  public long logins() {
    return logins.get();
  }

  public long skipped() {
    return skipped.get();
  }

  /** Byte offset after the last line shipped (of the last file that had lines). */
  public long lastOffset() {
    return lastOffset;
  }

  @Override
  public void close() {
    for (LogFollower f : followers) {
      try {
        f.close();
      } catch (IOException e) {
        LOG.warn("closing {}: {}", f.path(), e.toString());
      }
    }
  }
}
