package io.minibit.it;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.Bitfield;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.HeartbeatRequest;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.Manifest;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.PingRequest;
import io.minibit.api.v2.Proof;
import io.minibit.api.v2.PublishRequest;
import io.minibit.api.v2.RemoveRequest;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.ShareWithProgressRequest;
import io.minibit.api.v2.SubscribeRequest;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.identity.PeerKey;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Makes requests for every MiniBit RPC from a seeded {@link Random}: fields drawn from values
 * that sit on or across each documented limit (empty, one past the end, huge, path tricks,
 * control characters, wrong lengths) mixed with the valid values of a real torrent, and at times
 * the encoded bytes mutated (flipped, cut, spliced), so some no longer parse at all. The same
 * seed gives the same sequence. Not thread-safe.
 */
final class RequestFuzzer {
  /** Which server an RPC belongs to. */
  enum Server { TRACKER, PEER, CONTROL }

  /** One request to send: its method, its bytes on the wire, and whether they still parse. */
  record Input(Server server, MethodDescriptor<?, ?> method, byte[] bytes, boolean parses,
      String description) {}

  /** What the fuzzer knows of the real swarm, so some values are valid. */
  record Known(Manifest manifest, String infohash, String peerId, String dataDir,
      String outsideDir) {}

  private final Random random;
  private final Known known;
  /** Signs some publishes and announces, so requests get past the proof and into the catalog. */
  private final PeerKey key = PeerKey.generate();

  RequestFuzzer(long seed, Known known) {
    this.random = new Random(seed);
    this.known = known;
  }

  Input next() {
    int pick = random.nextInt(13);
    Input input = switch (pick) {
      case 0 -> input(Server.TRACKER, TrackerServiceGrpc.getPublishMethod(), publish());
      case 1 -> input(Server.TRACKER, TrackerServiceGrpc.getGetManifestMethod(), getManifest());
      case 2 -> input(Server.TRACKER, TrackerServiceGrpc.getAnnounceMethod(), announce());
      case 3 -> input(Server.TRACKER, TrackerServiceGrpc.getHeartbeatMethod(), HeartbeatRequest
          .newBuilder().setPeerId(peerId()).setSessionToken(string()).build());
      case 4 -> input(Server.TRACKER, TrackerServiceGrpc.getListTorrentsMethod(),
          ListTorrentsRequest.newBuilder().setPageSize(random.nextInt())
              .setPageToken(random.nextBoolean() ? "" : string()).build());
      case 5 -> input(Server.PEER, PeerServiceGrpc.getGetBlocksMethod(), getBlocks());
      case 6 -> input(Server.PEER, PeerServiceGrpc.getSubscribeMethod(), subscribe());
      case 7 -> input(Server.PEER, PeerServiceGrpc.getPingMethod(),
          PingRequest.getDefaultInstance());
      case 8 -> input(Server.CONTROL, PeerControlServiceGrpc.getShareMethod(),
          ShareRequest.newBuilder()
          .setPath(path()).setBlockSize(uint32()).build());
      case 9 -> input(Server.CONTROL, PeerControlServiceGrpc.getDownloadMethod(), download());
      case 10 -> input(Server.CONTROL, PeerControlServiceGrpc.getListTransfersMethod(),
          ListTransfersRequest.getDefaultInstance());
      case 11 -> input(Server.CONTROL, PeerControlServiceGrpc.getShareWithProgressMethod(),
          ShareWithProgressRequest.newBuilder().setPath(path()).setBlockSize(uint32())
              .setProgressIntervalMs(uint32()).build());
      default -> input(Server.CONTROL, PeerControlServiceGrpc.getRemoveMethod(), RemoveRequest
          .newBuilder().setInfohash(infohash()).setDeleteData(random.nextBoolean()).build());
    };
    return random.nextInt(4) == 0 ? mutate(input) : input;
  }

  private Input input(Server server, MethodDescriptor<?, ?> method, Message message) {
    return new Input(server, method, message.toByteArray(), true,
        method.getBareMethodName() + " " + printable(message.toString()));
  }

  /** Flips, cuts, duplicates or inserts bytes; the result may no longer be a valid message. */
  private Input mutate(Input input) {
    byte[] bytes = input.bytes();
    int mutations = 1 + random.nextInt(4);
    for (int i = 0; i < mutations; i++) {
      int at = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
      bytes = switch (random.nextInt(4)) {
        case 0 -> {
          if (bytes.length > 0) {
            bytes[Math.min(at, bytes.length - 1)] ^= (byte) (1 << random.nextInt(8));
          }
          yield bytes;
        }
        case 1 -> java.util.Arrays.copyOf(bytes, at);
        case 2 -> splice(bytes, at, randomBytes(1 + random.nextInt(16)));
        default -> splice(bytes, at, java.util.Arrays.copyOfRange(bytes, at,
            Math.min(bytes.length, at + 1 + random.nextInt(32))));
      };
    }
    boolean parses = parses(input.method(), bytes);
    return new Input(input.server(), input.method(), bytes, parses,
        input.method().getBareMethodName() + " mutated to " + bytes.length + " bytes"
            + (parses ? "" : " (not a valid message)"));
  }

  private static boolean parses(MethodDescriptor<?, ?> method, byte[] bytes) {
    try {
      method.parseRequest(new java.io.ByteArrayInputStream(bytes));
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static byte[] splice(byte[] bytes, int at, byte[] insert) {
    byte[] out = new byte[bytes.length + insert.length];
    System.arraycopy(bytes, 0, out, 0, at);
    System.arraycopy(insert, 0, out, at, insert.length);
    System.arraycopy(bytes, at, out, at + insert.length, bytes.length - at);
    return out;
  }

  private Message publish() {
    if (random.nextInt(8) == 0) {
      return PublishRequest.getDefaultInstance(); // no manifest at all
    }
    Manifest.Builder manifest = known.manifest().toBuilder();
    int changes = random.nextInt(4);
    for (int i = 0; i < changes; i++) {
      switch (random.nextInt(7)) {
        case 0 -> manifest.setName(name());
        case 1 -> manifest.setSize(uint64());
        case 2 -> manifest.setBlockSize(uint32());
        case 3 -> manifest.addBlockSha256(bytes());
        case 4 -> {
          if (manifest.getBlockSha256Count() > 0) {
            manifest.setBlockSha256(random.nextInt(manifest.getBlockSha256Count()), bytes());
          }
        }
        case 5 -> manifest.setFileSha256(bytes());
        default -> manifest.setFileMd5(bytes());
      }
    }
    PublishRequest.Builder publish = PublishRequest.newBuilder().setManifest(manifest);
    switch (random.nextInt(4)) {
      case 0 -> { } // unsigned
      case 1 -> publish.setProof(proof());
      default -> {
        try {
          publish.setProof(key.publishProof(Torrent.of(manifest.build()).infoHash(),
              Instant.now()));
        } catch (MinibitException malformed) {
          publish.setProof(proof()); // a manifest that has no infohash has no true signature
        }
      }
    }
    return publish.build();
  }

  /** A proof of random parts (some the right sizes), signed at a time near now or far from it. */
  private Proof proof() {
    return Proof.newBuilder()
        .setPublicKey(pick(() -> ByteString.copyFrom(key.publicKey()), this::bytes))
        .setSignedAtMs(pick(() -> System.currentTimeMillis(), () -> 0L, () -> Long.MIN_VALUE,
            () -> Long.MAX_VALUE, random::nextLong))
        .setSignature(pick(() -> ByteString.copyFrom(randomBytes(64)), this::bytes))
        .build();
  }

  private Message getManifest() {
    return switch (random.nextInt(3)) {
      case 0 -> GetManifestRequest.newBuilder().setInfohash(infohash()).build();
      case 1 -> GetManifestRequest.newBuilder().setName(name()).build();
      default -> GetManifestRequest.getDefaultInstance();
    };
  }

  private Message announce() {
    AnnounceEvent[] events = AnnounceEvent.values();
    AnnounceRequest.Builder announce = AnnounceRequest.newBuilder()
        .setInfohash(infohash())
        .setPeerId(peerId())
        .setHost(pick(() -> "", () -> "127.0.0.1", () -> "::1", this::string))
        .setPort(uint32())
        .setHaveCount(uint32())
        .setComplete(random.nextBoolean())
        .setUploaded(uint64())
        .setDownloaded(uint64())
        .setSessionToken(pick(() -> "", this::string))
        .setNumWant(uint32());
    switch (random.nextInt(3)) {
      case 0 -> { } // no proof
      case 1 -> announce.setProof(proof());
      default -> announce.setProof(key.sessionProof(Instant.now()));
    }
    if (random.nextBoolean()) {
      announce.setEvent(events[random.nextInt(events.length - 1)]); // UNRECOGNIZED has no number
    } else {
      announce.setEventValue(uint32());
    }
    return announce.build();
  }

  private Message getBlocks() {
    GetBlocksRequest.Builder request = GetBlocksRequest.newBuilder()
        .setInfohash(infohash()).setPeerId(peerId());
    int count = pick(() -> 0, () -> 1, () -> random.nextInt(8), () -> 64, () -> 65,
        () -> random.nextInt(2000));
    for (int i = 0; i < count; i++) {
      request.addIndices(index());
    }
    if (random.nextBoolean()) {
      request.setMaxBlocks(pick(() -> 0, () -> 1, () -> count, () -> count + 1,
          () -> random.nextInt(), () -> -1));
    }
    return request.build();
  }

  private Message subscribe() {
    SubscribeRequest.Builder request = SubscribeRequest.newBuilder()
        .setInfohash(infohash()).setPeerId(peerId());
    if (random.nextBoolean()) {
      request.setHave(Bitfield.newBuilder().setBlockCount(index()).setBits(bytes()));
    }
    return request.build();
  }

  private Message download() {
    DownloadRequest.Builder request = DownloadRequest.newBuilder();
    switch (random.nextInt(3)) {
      case 0 -> request.setInfohash(infohash());
      case 1 -> request.setName(name());
      default -> { }
    }
    return request.setDestination(pick(() -> "", this::path))
        .setNoPeersTimeoutMs(pick(() -> 1, () -> 200, this::uint32))
        .build();
  }

  private String infohash() {
    return pick(known::infohash, () -> known.infohash().toUpperCase(),
        () -> HexFormat.of().formatHex(randomBytes(32)), () -> known.infohash().substring(1),
        () -> known.infohash() + "0", this::string);
  }

  private String peerId() {
    return pick(known::peerId, key::peerId, () -> "fuzz-" + random.nextInt(50),
        () -> "x".repeat(65), this::string);
  }

  private String name() {
    return pick(() -> known.manifest().getName(), () -> "..", () -> ".", () -> "a/b",
        () -> "../escape.bin", () -> "x".repeat(256), () -> "évian-ñ.bin", this::string);
  }

  private String path() {
    String data = known.dataDir();
    String outside = known.outsideDir();
    return pick(() -> known.manifest().getName(), () -> data + "/" + known.manifest().getName(),
        () -> "../outside/x.bin", () -> outside, () -> outside + "/new.bin",
        () -> data + "/../outside/x.bin", () -> "/etc/passwd", () -> "/", () -> ".",
        () -> "sub/dir", () -> ".minibit/transfers", () -> "link-out", this::string);
  }

  private String string() {
    int kind = random.nextInt(5);
    int length = kind == 4 ? 300 + random.nextInt(70_000) : random.nextInt(40);
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append(switch (kind) {
        case 0 -> (char) ('a' + random.nextInt(26));
        case 1 -> (char) random.nextInt(0x20); // control characters, NUL included
        case 2 -> "0123456789abcdef".charAt(random.nextInt(16));
        default -> (char) (0x20 + random.nextInt(0x2000));
      });
    }
    return text.toString();
  }

  private ByteString bytes() {
    return ByteString.copyFrom(pick(() -> new byte[0], () -> randomBytes(32),
        () -> randomBytes(16), () -> randomBytes(random.nextInt(100)),
        () -> randomBytes(300 * 1024)));
  }

  private int index() {
    int blocks = known.manifest().getBlockSha256Count();
    return pick(() -> 0, () -> blocks - 1, () -> blocks, () -> blocks + 1, () -> -1,
        () -> Integer.MAX_VALUE, () -> random.nextInt(blocks));
  }

  private int uint32() {
    return pick(() -> 0, () -> 1, () -> -1, () -> Integer.MAX_VALUE, () -> Integer.MIN_VALUE,
        () -> 16 * 1024, () -> 4 * 1024 * 1024 + 1, () -> random.nextInt(70_000),
        random::nextInt);
  }

  private long uint64() {
    return pick(() -> 0L, () -> 1L, () -> -1L, () -> Long.MAX_VALUE, () -> Long.MIN_VALUE,
        () -> known.manifest().getSize(), () -> known.manifest().getSize() + 1,
        random::nextLong);
  }

  private byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  @SafeVarargs
  private <T> T pick(Supplier<T>... choices) {
    return choices[random.nextInt(choices.length)].get();
  }

  private static String printable(String text) {
    String flat = text.replaceAll("\\s+", " ");
    return flat.length() > 160 ? flat.substring(0, 160) + "..." : flat;
  }
}
