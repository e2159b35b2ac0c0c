package io.minibit.tracker;

import java.util.Objects;

/**
 * Who publishes a manifest, as the tracker's API established it: "tls:" and the subject of a
 * client certificate, or "ed25519:" and the SHA-256 (hex) of a public key whose signature
 * verified. The catalog compares ids and stores them; it never interprets them.
 *
 * @param id 1..{@value #MAX_ID_LENGTH} characters, no line breaks
 */
public record Publisher(String id) {
  public static final int MAX_ID_LENGTH = 1024;

  public Publisher {
    Objects.requireNonNull(id, "id");
    if (id.isEmpty() || id.length() > MAX_ID_LENGTH || id.indexOf('\n') >= 0
        || id.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("a publisher id is 1.." + MAX_ID_LENGTH
          + " characters on one line");
    }
  }

  /** The publisher of an Ed25519 key with this SHA-256 fingerprint (64 hex digits). */
  public static Publisher ofKey(String fingerprint) {
    return new Publisher("ed25519:" + fingerprint);
  }

  @Override
  public String toString() {
    return id;
  }
}
