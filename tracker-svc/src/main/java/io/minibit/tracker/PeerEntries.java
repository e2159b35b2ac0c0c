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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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

  /**
   * The peers of a draw of a swarm's entries hash (id, entry), as seen now, for an announce's
   * answer: without their bitfields, which an answer does not carry (a held copy of a swarm
   * would otherwise keep one per member).
   */
  static List<Peer> decode(List<Map.Entry<byte[], byte[]>> drawn, InfoHash infoHash) {
    Instant now = Instant.now();
    List<Peer> peers = new ArrayList<>(drawn.size());
    for (Map.Entry<byte[], byte[]> entry : drawn) {
      peers.add(decode(new String(entry.getKey(), StandardCharsets.UTF_8), entry.getValue(), now,
          infoHash, false));
    }
    return peers;
  }

  /**
   * The peer an entry describes; INTERNAL for bytes no tracker wrote. Read in place (every
   * announce on Redis reads one entry per peer it hands out): a host of ASCII, as hosts are, is
   * taken as it is; only another goes through {@link DataInputStream#readUTF}'s decoding.
   */
  static Peer decode(String peerId, byte[] entry, Instant seen, InfoHash infoHash) {
    return decode(peerId, entry, seen, infoHash, true);
  }

  private static Peer decode(String peerId, byte[] entry, Instant seen, InfoHash infoHash,
      boolean withHave) {
    try {
      ByteBuffer in = ByteBuffer.wrap(entry);
      if (in.get() != ENTRY_VERSION) {
        throw new IOException("unknown entry version");
      }
      String host = readUtf(in);
      int port = Short.toUnsignedInt(in.getShort());
      boolean complete = in.get() != 0;
      int haveCount = in.getInt();
      long uploaded = in.getLong();
      long downloaded = in.getLong();
      double rate = in.getDouble();
      int blocks = in.getInt();
      Bitfield have = null;
      if (blocks >= 0) {
        if (Bitfield.byteLength(blocks) > in.remaining()) {
          throw new IOException("a bitfield of " + blocks + " blocks in "
              + in.remaining() + " bytes");
        }
        if (withHave) {
          byte[] bits = new byte[Bitfield.byteLength(blocks)];
          in.get(bits);
          have = Bitfield.fromBytes(blocks, bits);
        }
      }
      return new Peer(peerId, host, port, complete, haveCount, uploaded, downloaded, seen, have,
          rate);
    } catch (IOException | RuntimeException e) {
      throw new MinibitException(ErrorCode.INTERNAL, String.format(
          "the store's entry for peer %s in swarm %s is not one a tracker wrote (%s)", peerId,
          infoHash, e.getMessage()), e);
    }
  }

  /** A string as {@link DataOutputStream#writeUTF} wrote it. */
  private static String readUtf(ByteBuffer in) throws IOException {
    int length = Short.toUnsignedInt(in.getShort());
    int start = in.position();
    in.position(start + length); // past the end of a short entry: IllegalArgumentException
    for (int i = start; i < start + length; i++) {
      if (in.get(i) < 0) { // not ASCII
        byte[] utf = Arrays.copyOfRange(in.array(), start - 2, start + length);
        return new DataInputStream(new ByteArrayInputStream(utf)).readUTF();
      }
    }
    return new String(in.array(), start, length, StandardCharsets.US_ASCII);
  }
}
