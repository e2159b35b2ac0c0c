package io.minibit.tracker;

import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;

/**
 * A place in the catalog's order (by name, then by infohash): where a ListTorrents page ended,
 * and so where the next one starts. Travels as the page token, an opaque string: URL-safe
 * base64 of a version byte, the 32 infohash bytes and the name in UTF-8. A position names a
 * torrent but does not need it to exist any more, so a token stays good while torrents come and
 * go: the next page starts after it, whatever was published meanwhile.
 */
record CatalogPosition(String name, InfoHash infoHash) implements Comparable<CatalogPosition> {
  /** The catalog's order, for positions and for the torrents they stand for. */
  static final Comparator<CatalogPosition> ORDER =
      Comparator.comparing(CatalogPosition::name).thenComparing(CatalogPosition::infoHash);

  private static final byte VERSION = 1;
  // a name is at most 255 UTF-8 bytes (Torrent's rule); with the header, a token is < 400 chars
  private static final int MAX_TOKEN_CHARS = 400;

  /** Where {@code torrent} stands. */
  static CatalogPosition of(Torrent torrent) {
    return new CatalogPosition(torrent.name(), torrent.infoHash());
  }

  @Override
  public int compareTo(CatalogPosition other) {
    return ORDER.compare(this, other);
  }

  /** This position as a page token. */
  String token() {
    byte[] name = this.name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bytes = ByteBuffer.allocate(1 + InfoHash.LENGTH + name.length)
        .put(VERSION).put(infoHash.toBytes()).put(name);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
  }

  /** The position a page token stands for; INVALID_ARGUMENT for one this tracker did not issue. */
  static CatalogPosition parse(String token) {
    if (token.length() > MAX_TOKEN_CHARS) {
      throw notIssued("it is " + token.length() + " characters long");
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw notIssued("it is not URL-safe base64");
    }
    if (bytes.length < 1 + InfoHash.LENGTH || bytes[0] != VERSION) {
      throw notIssued("it does not start as one does");
    }
    byte[] hash = new byte[InfoHash.LENGTH];
    System.arraycopy(bytes, 1, hash, 0, InfoHash.LENGTH);
    try {
      String name = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 1 + InfoHash.LENGTH, bytes.length - 1 - InfoHash.LENGTH))
          .toString();
      return new CatalogPosition(name, InfoHash.of(hash));
    } catch (CharacterCodingException e) {
      throw notIssued("its name is not UTF-8");
    }
  }

  private static MinibitException notIssued(String why) {
    return MinibitException.invalid("page_token is not one this tracker issued (%s): pass "
        + "next_page_token from the previous ListTorrents response unchanged, or leave it empty "
        + "for the first page", why);
  }
}
