package org.popbeforesmtp.grants;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.popbeforesmtp.avro.Protocol;

/**
 * Compact binary form of {@link GrantState} for the session store and its changelog. Internal state
 * only (never on a public topic), so it needs no registry; the leading version byte lets a later
 * release read what this one wrote.
 */
public final class GrantStateSerde implements Serde<GrantState> {
  private static final byte VERSION = 1;

  @Override
  public Serializer<GrantState> serializer() {
    return (topic, state) -> state == null ? null : write(state);
  }

  @Override
  public Deserializer<GrantState> deserializer() {
    return (topic, bytes) -> bytes == null ? null : read(bytes);
  }

  static byte[] write(GrantState state) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 96 * state.shares().size());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeBoolean(state.shared());
      out.writeShort(state.shares().size());
      for (GrantState.Share s : state.shares()) {
        out.writeUTF(s.username());
        out.writeLong(s.firstAt());
        out.writeLong(s.lastAt());
        out.writeInt(s.count());
        out.writeUTF(s.eventId());
        out.writeUTF(s.clientIp());
        out.writeByte(s.protocol().ordinal());
        out.writeUTF(s.serverId());
      }
    } catch (IOException e) {
      throw new SerializationException("cannot write grant state", e);
    }
    return bytes.toByteArray();
  }

  static GrantState read(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte version = in.readByte();
      if (version != VERSION) {
        throw new SerializationException(
            "grant state version "
                + version
                + " is unknown to this release (expected "
                + VERSION
                + ")");
      }
      boolean shared = in.readBoolean();
      int n = in.readUnsignedShort();
      List<GrantState.Share> shares = new ArrayList<>(n);
      Protocol[] protocols = Protocol.values();
      for (int i = 0; i < n; i++) {
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
      return new GrantState(shares, shared);
    } catch (IOException e) {
      throw new SerializationException("cannot read grant state of " + bytes.length + " bytes", e);
    }
  }
}
