package io.minibit.tracker;

import com.google.protobuf.ByteString;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.AnnounceResponse;
import io.minibit.api.v2.PeerEndpoint;
import io.minibit.core.Bitfield;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.tracker.SwarmStore.Announce;
import io.minibit.tracker.SwarmStore.AnnounceResult;
import io.minibit.tracker.SwarmStore.Event;
import io.minibit.tracker.SwarmStore.Peer;

/**
 * Converts the swarm calls' messages of tracker.proto to the {@link SwarmStore}'s records and
 * back, checking each field on the way in (INVALID_ARGUMENT, naming the field). Stateless.
 */
final class SwarmProtos {
  private SwarmProtos() {}

  /** The announce's event; INVALID_ARGUMENT for a value tracker.proto does not define. */
  static Event event(AnnounceRequest request) {
    return switch (request.getEvent()) {
      case ANNOUNCE_EVENT_UNSPECIFIED -> Event.NONE;
      case ANNOUNCE_EVENT_STARTED -> Event.STARTED;
      case ANNOUNCE_EVENT_COMPLETED -> Event.COMPLETED;
      case ANNOUNCE_EVENT_STOPPED -> Event.STOPPED;
      case UNRECOGNIZED -> throw MinibitException.invalid(
          "event %d is not an AnnounceEvent", request.getEventValue());
    };
  }

  /** Peers the announce wants, at most {@value SwarmStore#MAX_SAMPLE_SIZE}. */
  static int numWant(AnnounceRequest request) {
    // num_want is unsigned on the wire: a huge value must mean "many", not a negative int.
    return (int) Math.min(Integer.toUnsignedLong(request.getNumWant()),
        SwarmStore.MAX_SAMPLE_SIZE);
  }

  /**
   * The announce {@code request} makes for {@code torrent}, with the fields checked already
   * (and the caller's {@code host}, {@code proven} and {@code source}, which the request does
   * not say alone); its bitfield, have_count and download_rate are checked here.
   */
  static Announce announce(AnnounceRequest request, Torrent torrent, String peerId, String host,
      int port, Event event, int numWant, boolean proven, String source) {
    Bitfield have = request.hasHave() ? bitfield(request.getHave(), torrent) : null;
    long haveCount = have != null ? have.cardinality()
        : Integer.toUnsignedLong(request.getHaveCount());
    double rate = request.getDownloadRate();
    if (!Double.isFinite(rate) || rate < 0) {
      throw MinibitException.invalid("download_rate %s is not a rate in bytes per second",
          rate);
    }
    if (haveCount > torrent.blockCount()) {
      throw MinibitException.invalid("have_count %d is more than the %d blocks of %s",
          haveCount, torrent.blockCount(), torrent);
    }
    return new Announce(torrent.infoHash(), peerId, host, port, event, (int) haveCount,
        request.getComplete(), request.getUploaded(), request.getDownloaded(),
        request.getSessionToken(), numWant, have, rate, proven, source);
  }

  /** What an announce gets back, with the intervals {@code config} sets. */
  static AnnounceResponse response(AnnounceResult result, TrackerConfig config) {
    AnnounceResponse.Builder response = AnnounceResponse.newBuilder()
        .setIntervalMs((int) config.announceInterval().toMillis())
        .setHeartbeatIntervalMs((int) config.heartbeatInterval().toMillis())
        .setSessionToken(result.sessionToken())
        .setSeeders(result.counts().seeders())
        .setLeechers(result.counts().leechers());
    // The strings as UTF-8 bytes: protobuf would otherwise scan each one twice (its size, then
    // its encoding), the most of an announce's CPU, where a peer id or an address (ASCII) is
    // copied in one go. One builder makes every endpoint: making a builder costs more than
    // clearing one.
    PeerEndpoint.Builder endpoint = PeerEndpoint.newBuilder();
    for (Peer peer : result.peers()) {
      response.addPeers(endpoint.clear()
          .setPeerIdBytes(ByteString.copyFromUtf8(peer.peerId()))
          .setHostBytes(ByteString.copyFromUtf8(peer.host()))
          .setPort(peer.port())
          .setComplete(peer.complete())
          .build());
    }
    return response.build();
  }

  /** An announced bitfield, checked against its torrent. */
  private static Bitfield bitfield(io.minibit.api.v2.Bitfield wire, Torrent torrent) {
    if (wire.getBlockCount() != torrent.blockCount()) {
      throw MinibitException.invalid("have.block_count %d is not the %d blocks of %s",
          Integer.toUnsignedLong(wire.getBlockCount()), torrent.blockCount(), torrent);
    }
    try {
      return Bitfield.fromBytes(torrent.blockCount(), wire.getBits().toByteArray());
    } catch (MinibitException e) {
      throw MinibitException.invalid("have: %s", e.getMessage());
    }
  }
}
