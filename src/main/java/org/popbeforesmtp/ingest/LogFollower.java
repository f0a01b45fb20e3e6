package org.popbeforesmtp.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a log file like {@code tail -F}: reads complete lines appended since the last poll,
 * survives the file missing for a while, follows rotation by rename (finishes the old file, then
 * reads the new one from its start) and by copytruncate (size below the read position: start over).
 * A checkpoint (inode, offset) written with {@link #commit} after the lines were delivered lets a
 * restart continue exactly there: nothing lost, nothing read twice; when the file was rotated while
 * the follower was down, the rest of {@code <file>.1} is read first.
 */
public final class LogFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LogFollower.class);
  private static final int MAX_LINE = 64 * 1024;
  private static final int HEAD_BYTES = 128;

  /** A complete line: where it starts and ends in which file (by inode). */
  public record Line(long inode, long offset, long end, String text) {}

  private final Path path;
  private final Path checkpoint;
  private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
  private FileChannel channel;
  private long inode = -1;
  private long position;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private long partialStart;
  private boolean readingRotated;
  private byte[] head = new byte[0];
  private boolean waiting;

  public LogFollower(Path path, Path checkpoint) {
    this.path = path;
    this.checkpoint = checkpoint;
  }

  /** The followed file. */
  public Path path() {
    return path;
  }

  /** Complete lines appended since the last call (possibly none). */
  public List<Line> poll() throws IOException {
    List<Line> lines = new ArrayList<>();
    if (channel == null && !open()) {
      return lines;
    }
    read(lines);
    long current = inodeOf(path);
    if (readingRotated || (current >= 0 && current != inode)) {
      // rotated by rename: the old file is drained (read above), continue with the new one
      if (current >= 0) {
        switchTo(path, current, 0);
        readingRotated = false;
        read(lines);
      }
    } else if (channel.size() < position || !sameHead()) {
      // copytruncate: the file shrank (or was truncated and rewritten) under us
      position = 0;
      partial.reset();
      partialStart = 0;
      read(lines);
    }
    return lines;
  }

  /**
   * Compares the file's first bytes with those seen before: a file truncated and written again up
   * to (or past) the old position has the same size story but a different beginning.
   */
  private boolean sameHead() throws IOException {
    int n = (int) Math.min(HEAD_BYTES, channel.size());
    ByteBuffer now = ByteBuffer.allocate(n);
    channel.read(now, 0);
    byte[] current = now.array();
    int common = Math.min(current.length, head.length);
    for (int i = 0; i < common; i++) {
      if (current[i] != head[i]) {
        head = current;
        return false;
      }
    }
    if (current.length > head.length) {
      head = current;
    }
    return true;
  }

  private boolean open() throws IOException {
    long current = inodeOf(path);
    Properties saved = loadCheckpoint();
    if (saved != null) {
      long savedInode = Long.parseLong(saved.getProperty("inode"));
      long savedOffset = Long.parseLong(saved.getProperty("offset"));
      if (savedInode == current) {
        switchTo(path, current, savedOffset);
        return opened(path, "its checkpoint");
      }
      Path rotated = path.resolveSibling(path.getFileName() + ".1");
      if (inodeOf(rotated) == savedInode) {
        switchTo(rotated, savedInode, savedOffset);
        readingRotated = true;
        return opened(rotated, "its checkpoint (rotated since)");
      }
    }
    if (current < 0) {
      if (!waiting) {
        waiting = true;
        LOG.warn("{} does not exist (yet); waiting for it to appear", path);
      }
      return false;
    }
    switchTo(path, current, 0);
    return opened(path, saved == null ? "the start (no checkpoint)" : "the start (a new file)");
  }

  /** Says where reading starts (once per open: at start-up, and after the file reappears). */
  private boolean opened(Path file, String from) {
    if (channel == null) {
      return false;
    }
    waiting = false;
    LOG.info("following {} from offset {}, {}", file, position, from);
    return true;
  }

  private void switchTo(Path file, long fileInode, long offset) throws IOException {
    if (channel != null) {
      channel.close();
    }
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      channel = null;
      return;
    }
    inode = fileInode;
    head = new byte[0];
    sameHead();
    position = Math.min(offset, channel.size());
    partial.reset();
    partialStart = position;
  }

  private void read(List<Line> lines) throws IOException {
    if (channel == null) {
      return;
    }
    while (true) {
      buffer.clear();
      int n = channel.read(buffer, position);
      if (n <= 0) {
        return;
      }
      byte[] bytes = buffer.array();
      int start = 0;
      for (int i = 0; i < n; i++) {
        if (bytes[i] == '\n') {
          partial.write(bytes, start, i - start);
          long end = position + i + 1;
          lines.add(
              new Line(
                  inode,
                  partialStart,
                  end,
                  partial.toString(StandardCharsets.UTF_8).stripTrailing()));
          partial.reset();
          partialStart = end;
          start = i + 1;
        }
      }
      if (partial.size() + (n - start) > MAX_LINE) {
        // an endless line: cut it rather than hold unbounded memory
        partial.reset();
        partialStart = position + n;
      } else {
        partial.write(bytes, start, n - start);
      }
      position += n;
    }
  }

  /** Records that every line up to and including {@code last} was delivered. */
  public void commit(Line last) throws IOException {
    Properties p = new Properties();
    p.setProperty("path", path.toString());
    p.setProperty("inode", Long.toString(last.inode()));
    p.setProperty("offset", Long.toString(last.end()));
    Path tmp = checkpoint.resolveSibling(checkpoint.getFileName() + ".tmp");
    Files.createDirectories(checkpoint.toAbsolutePath().getParent());
    try (Writer out = Files.newBufferedWriter(tmp)) {
      p.store(out, "pop-before-smtp log checkpoint");
    }
    Files.move(
        tmp, checkpoint, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private Properties loadCheckpoint() throws IOException {
    if (!Files.exists(checkpoint)) {
      return null;
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(checkpoint)) {
      p.load(in);
    }
    return p.getProperty("inode") == null ? null : p;
  }

  static long inodeOf(Path file) throws IOException {
    try {
      return ((Number) Files.getAttribute(file, "unix:ino")).longValue();
    } catch (NoSuchFileException e) {
      return -1;
    }
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
  }
}
