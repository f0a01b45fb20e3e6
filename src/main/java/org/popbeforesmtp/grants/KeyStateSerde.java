package org.popbeforesmtp.grants;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeLong(state.expiresAt());
      out.writeLong(state.filedAt());
      out.writeShort(state.users().size());
      for (String user : state.users()) {
        out.writeUTF(user);
      }
      out.writeShort(state.sessions().size());
      for (GrantState session : state.sessions()) {
        out.writeBoolean(session.shared());
        out.writeShort(session.shares().size());
        for (GrantState.Share s : session.shares()) {
          out.writeUTF(s.username());
          out.writeLong(s.firstAt());
          out.writeLong(s.lastAt());
          out.writeInt(s.count());
          out.writeUTF(s.eventId());
          out.writeUTF(s.clientIp());
          out.writeByte(s.protocol().ordinal());
          out.writeUTF(s.serverId());
        }
      }
      out.writeInt(state.seen().size());
      for (var e : state.seen().entrySet()) {
        out.writeUTF(e.getKey());
        out.writeLong(e.getValue());
      }
    } catch (IOException e) {
      throw new SerializationException("cannot write key state", e);
    }
    return bytes.toByteArray();
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
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      in.readByte();
      long expiresAt = in.readLong();
      long filedAt = in.readLong();
      int userCount = in.readUnsignedShort();
      List<String> users = new ArrayList<>(userCount);
      for (int i = 0; i < userCount; i++) {
        users.add(in.readUTF());
      }
      int sessionCount = in.readUnsignedShort();
      List<GrantState> sessions = new ArrayList<>(sessionCount + 1);
      Protocol[] protocols = Protocol.values();
      for (int i = 0; i < sessionCount; i++) {
        boolean shared = in.readBoolean();
        int n = in.readUnsignedShort();
        List<GrantState.Share> shares = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
          String user = in.readUTF();
          long first = in.readLong();
          long last = in.readLong();
          int count = in.readInt();
          String eventId = in.readUTF();
          String ip = in.readUTF();
          int protocol = in.readUnsignedByte();
          String server = in.readUTF();
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
      int seenCount = in.readInt();
      LinkedHashMap<String, Long> seen = new LinkedHashMap<>(Math.max(4, seenCount * 2));
      for (int i = 0; i < seenCount; i++) {
        seen.put(in.readUTF(), in.readLong());
      }
      return new KeyState(sessions, expiresAt, List.copyOf(users), filedAt, seen, expiresAt != 0);
    } catch (IOException e) {
      throw new SerializationException("cannot read key state of " + bytes.length + " bytes", e);
    }
  }
}
