package io.minibit.peer.control;

import java.util.Objects;

/**
 * A download the control API or the swarm page asks for: a torrent, by infohash or by catalog
 * name, and the directory it goes to. Immutable; the values are checked where they are used.
 *
 * @param by whether {@code torrent} is an infohash (hex) or a name
 * @param torrent the infohash or the name, as the caller gave it
 * @param destination directory inside the data directory; empty for the data directory itself
 */
public record DownloadOrder(By by, String torrent, String destination) {

  /** How a download names its torrent. */
  public enum By { INFOHASH, NAME }

  public DownloadOrder {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(torrent, "torrent");
    Objects.requireNonNull(destination, "destination");
  }
}
