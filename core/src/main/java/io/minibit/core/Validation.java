package io.minibit.core;

import java.nio.charset.StandardCharsets;

/** Checks for the identifiers that cross MiniBit's wire: names, peer ids, infohashes, ports. */
public final class Validation {
  public static final int MAX_NAME_BYTES = 255;
  /** Suffix of a download's data while it is incomplete (see {@code BlockStore}). */
  public static final String PART_SUFFIX = ".part";
  /** Suffix of a download's record of verified blocks. */
  public static final String BITFIELD_SUFFIX = ".part.bitfield";
  /** Hex digits of the infohash a part file's name carries between the name and its suffix. */
  public static final int PART_INFOHASH_DIGITS = 16;
  /** Longest torrent name: its part files' names add a dot, the infohash digits and a suffix. */
  public static final int MAX_TORRENT_NAME_BYTES =
      MAX_NAME_BYTES - 1 - PART_INFOHASH_DIGITS - BITFIELD_SUFFIX.length();
  public static final int MAX_PEER_ID_LENGTH = 64;
  public static final int MAX_HOST_LENGTH = 253;
  /** Most blocks one GetBlocks call may ask for (the Peer contract's limit). */
  public static final int MAX_BLOCKS_PER_CALL = 64;

  private Validation() {}

  /**
   * Checks that {@code name} can name a torrent: a file name (see {@link #requireFileName}) of at
   * most {@link #MAX_TORRENT_NAME_BYTES} bytes that does not end like a part file, so that no
   * torrent's file can be mistaken for another download's part file.
   */
  public static String requireTorrentName(String field, String name) {
    requireFileName(field, name);
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_TORRENT_NAME_BYTES) {
      throw MinibitException.invalid("%s is longer than %d bytes (a download's part files add "
          + "%d to it)", field, MAX_TORRENT_NAME_BYTES, MAX_NAME_BYTES - MAX_TORRENT_NAME_BYTES);
    }
    if (name.endsWith(PART_SUFFIX) || name.endsWith(BITFIELD_SUFFIX)) {
      throw MinibitException.invalid("%s '%s' ends in %s or %s, which mark a download's part "
          + "files; rename the file", field, printable(name), PART_SUFFIX, BITFIELD_SUFFIX);
    }
    return name;
  }

  /**
   * Checks that {@code name} can be a file name in any directory: 1..255 UTF-8 bytes, no path
   * separator, NUL or control character, not "." or "..".
   */
  public static String requireFileName(String field, String name) {
    if (name == null || name.isEmpty()) {
      throw MinibitException.invalid("%s is empty", field);
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw MinibitException.invalid("%s is longer than %d bytes", field, MAX_NAME_BYTES);
    }
    if (name.equals(".") || name.equals("..")) {
      throw MinibitException.invalid("%s may not be '%s'", field, name);
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/' || c == '\\') {
        throw MinibitException.invalid("%s '%s' contains a path separator", field, printable(name));
      }
      if (Character.isISOControl(c)) {
        throw MinibitException.invalid("%s contains a control character", field);
      }
    }
    return name;
  }

  public static String requirePeerId(String field, String peerId) {
    if (!isMadeOf(peerId, MAX_PEER_ID_LENGTH, "._-")) {
      throw MinibitException.invalid(
          "%s must be 1..%d characters of [A-Za-z0-9._-]", field, MAX_PEER_ID_LENGTH);
    }
    return peerId;
  }

  public static String requireHost(String field, String host) {
    if (!isMadeOf(host, MAX_HOST_LENGTH, ".:_[]%-")) {
      throw MinibitException.invalid("%s '%s' is not a host name or IP address", field,
          printable(host));
    }
    return host;
  }

  /**
   * True if {@code s} is 1..{@code maxLength} characters, each an ASCII letter or digit or one of
   * {@code others}. A loop, not a regular expression: trackers check two of these on every
   * announce, and a matcher costs an allocation and a few times the time.
   */
  private static boolean isMadeOf(String s, int maxLength, String others) {
    if (s == null || s.isEmpty() || s.length() > maxLength) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean alphanumeric = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
      if (!alphanumeric && others.indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  public static int requirePort(String field, long port) {
    if (port < 1 || port > 65535) {
      throw MinibitException.invalid("%s", notAPort(field, port, false, null));
    }
    return (int) port;
  }

  /**
   * {@code port} if a daemon can listen on it: 1..65535, or 0 (a free one), or -1 when
   * {@code minusOneMeans} says what that does (null: -1 is refused); IllegalArgumentException,
   * naming {@code flag}, otherwise.
   */
  public static int requireListenPort(String flag, long port, String minusOneMeans) {
    if (port < (minusOneMeans == null ? 0 : -1) || port > 65535) {
      throw new IllegalArgumentException(notAPort(flag, port, true, minusOneMeans));
    }
    return (int) port;
  }

  /**
   * The one wording of a bad port, wherever it is given: "--http-port 70000 is not a port: give
   * 1..65535, 0 for a free one, or -1 to turn HTTP off".
   */
  public static String notAPort(String what, long port, boolean zeroPicksOne,
      String minusOneMeans) {
    StringBuilder message = new StringBuilder(what).append(' ').append(port)
        .append(" is not a port: give 1..65535");
    if (zeroPicksOne) {
      message.append(minusOneMeans == null ? " or" : ",").append(" 0 for a free one");
    }
    if (minusOneMeans != null) {
      message.append(", or -1 ").append(minusOneMeans);
    }
    return message.toString();
  }

  /** Shortens and strips a user-supplied value so it can be quoted safely in a message. */
  public static String printable(String value) {
    if (value == null) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < value.length() && out.length() < 80; i++) {
      char c = value.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    if (value.length() > 80) {
      out.append("...");
    }
    return out.toString();
  }
}
