package io.minibit.peer.session;

import io.minibit.core.Bitfield;
import java.util.List;

/**
 * What a session reads from the download that fills it, each time it is asked: the choker ranks
 * peers by what they gave, interest is judged from what they hold, and the status shows each
 * source and why the download is slow. A session that has no download (yet) reads {@link #NONE}.
 *
 * <p>Implementations are called from any thread.
 */
public interface DownloadView {
  /** No download: no sources, nothing known of any peer, nothing stalled. */
  DownloadView NONE = new DownloadView() {
    @Override
    public List<PeerSnapshot> peers() {
      return List.of();
    }

    @Override
    public double receivedRate(String peerId) {
      return 0;
    }

    @Override
    public Bitfield bitfieldOf(String peerId) {
      return null;
    }

    @Override
    public boolean lacksSource(String peerId) {
      return false;
    }

    @Override
    public String stallReason() {
      return "";
    }
  };

  /** Each source's figures, in the download's order. */
  List<PeerSnapshot> peers();

  /** Bytes per second received lately from peer {@code peerId}; 0 if none. */
  double receivedRate(String peerId);

  /** What peer {@code peerId} holds as it last told the download; null if not known. */
  Bitfield bitfieldOf(String peerId);

  /** True if a download runs and peer {@code peerId} is not one of its sources. */
  boolean lacksSource(String peerId);

  /** Why the download is not going at full speed, for people; empty if nothing is wrong. */
  String stallReason();

  /**
   * The download ended (complete, or failed), and its owner is about to let it go: from now on
   * the view answers as the download last did, since a seed still judges a peer's interest by
   * what it last told the download, and the status still shows the sources. Called by the
   * session before it tells anyone of the end.
   */
  default void ended() {
  }
}
