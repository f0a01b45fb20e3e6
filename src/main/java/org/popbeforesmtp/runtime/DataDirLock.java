package org.popbeforesmtp.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The lock a dev stack holds on its data directory for as long as it runs ({@code dev.lock}, with
 * its pid): a second stack on the same directory refuses before it touches anything, naming the
 * first, instead of starting a broker on the first one's files.
 */
public final class DataDirLock implements AutoCloseable {
  /** The lock file's name in the data directory (kept by {@code --fresh}). */
  public static final String FILE = "dev.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code dir} (created if missing).
   *
   * @throws IllegalArgumentException when another process (or this one) holds it: the message names
   *     the directory and the holder's pid
   */
  public static DataDirLock acquire(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(FILE);
    FileChannel channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      String pid = Files.readString(file, StandardCharsets.US_ASCII).strip();
      throw new IllegalArgumentException(
          "dev is already running on "
              + dir
              + (pid.isEmpty() ? "" : ", pid " + pid)
              + ": stop it first, or give another --data-dir");
    }
    channel.truncate(0);
    channel.write(
        ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
        0);
    channel.force(false);
    return new DataDirLock(channel, lock);
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
