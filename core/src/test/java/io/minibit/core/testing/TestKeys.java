package io.minibit.core.testing;

import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.Manifest;
import io.minibit.api.v2.PublishRequest;
import io.minibit.core.Torrent;
import io.minibit.core.identity.PeerKey;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Peer keys for tests, one per name, made once per JVM, and the signed requests a tracker
 * wants: a test says "seeder" and gets the peer id of the seeder's key, and a proof for it.
 * Thread-safe.
 */
public final class TestKeys {
  private static final Map<String, PeerKey> BY_NAME = new ConcurrentHashMap<>();
  private static final Map<String, PeerKey> BY_PEER_ID = new ConcurrentHashMap<>();

  private TestKeys() {}

  /** The key of the peer (or publisher) called {@code name} in tests. */
  public static PeerKey key(String name) {
    return BY_NAME.computeIfAbsent(name, n -> {
      PeerKey key = PeerKey.generate();
      BY_PEER_ID.put(key.peerId(), key);
      return key;
    });
  }

  /** The peer id of the peer called {@code name}. */
  public static String peerId(String name) {
    return key(name).peerId();
  }

  /** A publish of {@code manifest} signed at {@code now} by the key called "publisher". */
  public static PublishRequest publish(Manifest manifest, Instant now) {
    return publish(manifest, key("publisher"), now);
  }

  /** A publish of {@code manifest} signed at {@code now} by {@code key}. */
  public static PublishRequest publish(Manifest manifest, PeerKey key, Instant now) {
    return PublishRequest.newBuilder().setManifest(manifest)
        .setProof(key.publishProof(Torrent.of(manifest).infoHash(), now)).build();
  }

  /**
   * {@code announce} with a proof, made at {@code now}, by the key its peer id derives from
   * (one of {@link #key}'s); IllegalArgumentException for a peer id no key here has.
   */
  public static AnnounceRequest.Builder proven(AnnounceRequest.Builder announce, Instant now) {
    PeerKey key = BY_PEER_ID.get(announce.getPeerId());
    if (key == null) {
      throw new IllegalArgumentException("no test key has peer id " + announce.getPeerId());
    }
    return announce.setProof(key.sessionProof(now));
  }
}
