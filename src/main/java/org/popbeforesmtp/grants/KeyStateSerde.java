package org.popbeforesmtp.grants;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.popbeforesmtp.avro.Protocol;

/**
 * Compact binary form of {@link KeyState} for the key-state store and its changelog. Internal state
 * only (never on a public topic), so it needs no registry; the leading version byte lets a later
 * release read what this one wrote.
 */
public final class KeyStateSerde implements Serde<KeyState> {
  private static final byte VERSION = 1;

  @Override
  public Serializer<KeyState> serializer() {
    return (topic, state) -> state == null ? null : write(state);
  }

  @Override
  public Deserializer<KeyState> deserializer() {
    return (topic, bytes) -> bytes == null ? null : read(bytes);
  }

  static byte[] write(KeyState state) {
    Writer out = new Writer();
    out.writeByte(VERSION);
    out.writeLong(state.expiresAt());
    out.writeLong(state.filedAt());
    out.writeVarint(state.users().size());
    for (String user : state.users()) {
      out.writeString(user);
    }
    out.writeVarint(state.sessionCount());
    for (int k = 0; k < state.sessionCount(); k++) {
      GrantState session = state.session(k);
      out.writeByte(session.sharedAddress() ? 1 : 0);
      out.writeVarint(session.shares().size());
      for (GrantState.Share s : session.shares()) {
        out.writeString(s.username());
        out.writeLong(s.firstAt());
        out.writeLong(s.lastAt());
        out.writeVarint(s.count());
        out.writeString(s.eventId());
        out.writeString(s.clientIp());
        out.writeByte(s.protocol().ordinal());
        out.writeString(s.serverId());
      }
    }
    SeenIds seen = state.seenIds();
    out.writeVarint(seen.size());
    for (int i = 0; i < seen.size(); i++) {
      out.writeString(seen.id(i));
      out.writeLong(seen.time(i));
    }
    return out.toByteArray();
  }

  private static void checkVersion(byte[] bytes) {
    if (bytes.length < 1 || bytes[0] != VERSION) {
      throw new SerializationException(
          "key state version "
              + (bytes.length < 1 ? "(empty)" : bytes[0])
              + " is unknown to this release (expected "
              + VERSION
              + ")");
    }
  }

  static KeyState read(byte[] bytes) {
    checkVersion(bytes);
    Reader in = new Reader(bytes, 1);
    try {
      long expiresAt = in.readLong();
      long filedAt = in.readLong();
      int userCount = in.readVarint();
      String[] users = new String[userCount];
      for (int i = 0; i < userCount; i++) {
        users[i] = in.readString();
      }
      int sessionCount = in.readVarint();
      List<GrantState> sessions = new ArrayList<>(sessionCount + 1);
      Protocol[] protocols = Protocol.values();
      for (int i = 0; i < sessionCount; i++) {
        boolean shared = in.readByte() != 0;
        int n = in.readVarint();
        List<GrantState.Share> shares = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
          String user = in.readString();
          long first = in.readLong();
          long last = in.readLong();
          int count = in.readVarint();
          String eventId = in.readString();
          String ip = in.readString();
          int protocol = in.readByte();
          String server = in.readString();
          shares.add(
              new GrantState.Share(
                  user,
                  first,
                  last,
                  count,
                  eventId,
                  ip,
                  protocol < protocols.length ? protocols[protocol] : Protocol.UNKNOWN,
                  server));
        }
        sessions.add(new GrantState(shares, shared));
      }
      int seenCount = in.readVarint();
      SeenIds seen = new SeenIds(KeyState.MAX_SEEN);
      for (int i = 0; i < seenCount; i++) {
        seen.add(in.readString(), in.readLong());
      }
      if (in.position() != bytes.length) {
        throw new SerializationException(
            "key state has " + (bytes.length - in.position()) + " bytes after its end");
      }
      return new KeyState(sessions, expiresAt, List.of(users), filedAt, seen, expiresAt != 0);
    } catch (ArrayIndexOutOfBoundsException e) {
      throw new SerializationException("key state of " + bytes.length + " bytes is cut short", e);
    }
  }

  /** Big-endian longs, unsigned varints, strings as varint length + UTF-8, into a growing array. */
  private static final class Writer {
    private byte[] buf = new byte[256];
    private int pos;

    private void ensure(int n) {
      if (pos + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
      }
    }

    void writeByte(int b) {
      ensure(1);
      buf[pos++] = (byte) b;
    }

    void writeLong(long v) {
      ensure(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        buf[pos++] = (byte) (v >>> shift);
      }
    }

    void writeVarint(int v) {
      ensure(5);
      while ((v & ~0x7f) != 0) {
        buf[pos++] = (byte) ((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    void writeString(String s) {
      int n = s.length();
      if (n < 0x80) {
        // the common case (addresses, ids, most usernames): ASCII written without a byte[] copy
        ensure(1 + n);
        int start = pos++;
        for (int i = 0; i < n; i++) {
          char c = s.charAt(i);
          if (c >= 0x80) {
            pos = start;
            writeUtf8(s);
            return;
          }
          buf[pos++] = (byte) c;
        }
        buf[start] = (byte) n;
        return;
      }
      writeUtf8(s);
    }

    private void writeUtf8(String s) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      writeVarint(utf8.length);
      ensure(utf8.length);
      System.arraycopy(utf8, 0, buf, pos, utf8.length);
      pos += utf8.length;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, pos);
    }
  }

  private static final class Reader {
    private final byte[] buf;
    private int pos;

    Reader(byte[] buf, int pos) {
      this.buf = buf;
      this.pos = pos;
    }

    int position() {
      return pos;
    }

    int readByte() {
      return buf[pos++] & 0xff;
    }

    long readLong() {
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = v << 8 | (buf[pos++] & 0xff);
      }
      return v;
    }

    int readVarint() {
      int v = 0;
      for (int shift = 0; shift < 32; shift += 7) {
        int b = buf[pos++];
        v |= (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw new SerializationException("key state holds a malformed length at byte " + pos);
    }

    String readString() {
      int n = readVarint();
      if (n < 0 || pos + n > buf.length) {
        throw new SerializationException("key state holds a string of " + n + " bytes at " + pos);
      }
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }
  }
}
