package io.minibit.tracker;

import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.tracker.SwarmStore.Announce;
import io.minibit.tracker.SwarmStore.Event;
import io.minibit.tracker.SwarmStore.Peer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The bytes {@link RedisSwarms} keeps for each member of a swarm: what it last announced there,
 * versioned, so that every tracker on one Redis reads what the others wrote. Stateless.
 */
final class PeerEntries {
  private static final byte ENTRY_VERSION = 1;

  private PeerEntries() {}

  /** What a peer announced, as its entry holds it (the time comes from the swarm's set). */
  static byte[] encode(Announce announce) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      out.writeByte(ENTRY_VERSION);
      out.writeUTF(announce.host());
      out.writeShort(announce.port());
      out.writeBoolean(announce.event() == Event.COMPLETED || announce.complete());
      out.writeInt(announce.haveCount());
      out.writeLong(announce.uploaded());
      out.writeLong(announce.downloaded());
      out.writeDouble(announce.downloadRate());
      if (announce.have() == null) {
        out.writeInt(-1);
      } else {
        out.writeInt(announce.have().size());
        out.write(announce.have().toBytes());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buffer.toByteArray();
  }

  /** The peer an entry describes; INTERNAL for bytes no tracker wrote. */
  static Peer decode(String peerId, byte[] entry, Instant seen, InfoHash infoHash) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry))) {
      if (in.readByte() != ENTRY_VERSION) {
        throw new IOException("unknown entry version");
      }
      String host = in.readUTF();
      int port = in.readUnsignedShort();
      boolean complete = in.readBoolean();
      int haveCount = in.readInt();
      long uploaded = in.readLong();
      long downloaded = in.readLong();
      double rate = in.readDouble();
      int blocks = in.readInt();
      Bitfield have = blocks < 0 ? null
          : Bitfield.fromBytes(blocks, in.readNBytes(Bitfield.byteLength(blocks)));
      return new Peer(peerId, host, port, complete, haveCount, uploaded, downloaded, seen, have,
          rate);
    } catch (IOException | RuntimeException e) {
      throw new MinibitException(ErrorCode.INTERNAL, String.format(
          "the store's entry for peer %s in swarm %s is not one a tracker wrote (%s)", peerId,
          infoHash, e.getMessage()), e);
    }
  }
}
