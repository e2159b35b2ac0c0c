package io.minibit.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Digests MiniBit uses. Every JVM provides both algorithms. */
public final class Hashing {
  private Hashing() {}

  public static MessageDigest newSha256() {
    return newDigest("SHA-256");
  }

  public static MessageDigest newMd5() {
    return newDigest("MD5");
  }

  public static byte[] sha256(byte[] data) {
    return newSha256().digest(data);
  }

  public static byte[] sha256(byte[] data, int offset, int length) {
    MessageDigest digest = newSha256();
    digest.update(data, offset, length);
    return digest.digest();
  }

  private static MessageDigest newDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is missing from this JVM", e);
    }
  }
}
