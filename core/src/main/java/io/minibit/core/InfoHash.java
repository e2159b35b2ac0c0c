package io.minibit.core;

import com.google.common.io.BaseEncoding;
import java.util.Arrays;
import java.util.Locale;

/** The 32-byte SHA-256 that identifies a manifest; 64 lowercase hex characters in text. */
public final class InfoHash implements Comparable<InfoHash> {
  public static final int LENGTH = 32;

  private static final BaseEncoding HEX = BaseEncoding.base16().lowerCase();

  private final byte[] bytes;
  /**
   * The text form, made once: every block request names its torrent by it, so a download would
   * otherwise encode the same 32 bytes for each call it makes.
   */
  private final String hex;

  private InfoHash(byte[] bytes, String hex) {
    this.bytes = bytes;
    this.hex = hex;
  }

  public static InfoHash of(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw MinibitException.invalid("an infohash is %d bytes, not %d", LENGTH, bytes.length);
    }
    byte[] copy = bytes.clone();
    return new InfoHash(copy, HEX.encode(copy));
  }

  /** Parses 64 hex characters (either case); INVALID_ARGUMENT otherwise. */
  public static InfoHash parse(String hex) {
    if (hex == null || hex.length() != 2 * LENGTH) {
      throw MinibitException.invalid(
          "infohash '%s' is not %d hex characters", Validation.printable(hex), 2 * LENGTH);
    }
    try {
      String lower = hex.toLowerCase(Locale.ROOT);
      return new InfoHash(HEX.decode(lower), lower);
    } catch (IllegalArgumentException e) {
      throw MinibitException.invalid("infohash '%s' is not hexadecimal", Validation.printable(hex));
    }
  }

  /** True if {@code text} looks like an infohash rather than a name. */
  public static boolean looksLikeHex(String text) {
    return text != null && text.length() == 2 * LENGTH && HEX.canDecode(text.toLowerCase(Locale.ROOT));
  }

  public byte[] toBytes() {
    return bytes.clone();
  }

  public String hex() {
    return hex;
  }

  /** The first 8 hex characters, for logs and tables. */
  public String shortHex() {
    return hex().substring(0, 8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InfoHash other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public int compareTo(InfoHash other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public String toString() {
    return hex();
  }
}
