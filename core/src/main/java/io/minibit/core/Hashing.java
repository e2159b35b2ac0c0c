package io.minibit.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Digests MiniBit uses. Every JVM provides these algorithms. */
public final class Hashing {
  private Hashing() {}

  public static MessageDigest newSha256() {
    return newDigest("SHA-256");
  }

  public static MessageDigest newMd5() {
    return newDigest("MD5");
  }

  /** The SHA-1 of {@code data}: only where a protocol names it (Redis scripts' ids). */
  public static byte[] sha1(byte[] data) {
    return newDigest("SHA-1").digest(data);
  }

  public static byte[] sha256(byte[] data) {
    return newSha256().digest(data);
  }

  public static byte[] sha256(byte[] data, int offset, int length) {
    MessageDigest digest = newSha256();
    digest.update(data, offset, length);
    return digest.digest();
  }

  /**
   * The SHA-256 of {@code parts}, one after the other; their positions are left as they were.
   * Each thread reuses one digest: looking an algorithm up costs more than hashing a small block.
   */
  public static byte[] sha256(java.nio.ByteBuffer... parts) {
    MessageDigest digest = SHA256.get();
    for (java.nio.ByteBuffer part : parts) {
      digest.update(part.duplicate());
    }
    return digest.digest();
  }

  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(Hashing::newSha256);

  private static MessageDigest newDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is missing from this JVM", e);
    }
  }
}
