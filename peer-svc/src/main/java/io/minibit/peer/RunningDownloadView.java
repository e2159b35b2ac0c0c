package io.minibit.peer;

import io.minibit.core.Bitfield;
import io.minibit.peer.download.Download;
import io.minibit.peer.session.DownloadView;
import io.minibit.peer.session.PeerSnapshot;
import java.util.List;
import java.util.function.Supplier;

/**
 * A session's view of the daemon's download of its torrent, looked up each time it is asked.
 * The download seen last, at the latest when it {@linkplain #ended ended}, keeps answering once
 * the daemon lets it go: a seed still judges a peer's interest by what that peer last told the
 * download, and the status still shows the sources the file came from.
 *
 * <p>Thread-safe.
 */
final class RunningDownloadView implements DownloadView {
  private final Supplier<Download> running;
  private volatile Download last;

  /** @param running the daemon's running download of the torrent, null while there is none */
  RunningDownloadView(Supplier<Download> running) {
    this.running = running;
  }

  private Download current() {
    Download now = running.get();
    if (now != null) {
      if (now != last) {
        last = now; // a volatile write only when the download changes
      }
      return now;
    }
    return last;
  }

  @Override
  public List<PeerSnapshot> peers() {
    Download download = current();
    return download == null ? List.of() : download.sources();
  }

  @Override
  public double receivedRate(String peerId) {
    Download download = current();
    return download == null ? 0 : download.receivedRate(peerId);
  }

  @Override
  public Bitfield bitfieldOf(String peerId) {
    Download download = current();
    return download == null ? null : download.bitfieldOf(peerId);
  }

  @Override
  public boolean lacksSource(String peerId) {
    Download download = current();
    return download != null && !download.knows(peerId);
  }

  @Override
  public void ended() {
    current();
  }

  @Override
  public String stallReason() {
    Download download = running.get();
    return download == null ? "" : download.stallReason();
  }
}
