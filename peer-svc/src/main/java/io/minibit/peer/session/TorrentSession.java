package io.minibit.peer.session;

import io.grpc.stub.ServerCallStreamObserver;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.policy.Choker;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * One torrent this peer holds or fetches: its blocks on disk, the streams watching it, its
 * counters and its state (checking what is already on disk, downloading, then seeding; or
 * failed). Serving goes through the session from the moment it exists, so every verified block is
 * served at once. It wires its parts ({@link TransferProgress}, {@link UploadSlots}, {@link
 * SuperSeedOffers}, {@link UploadTally}) and reads the download that fills it through the
 * {@link DownloadView} it is built with, when it needs to.
 *
 * <p>Thread-safe.
 */
public final class TorrentSession {
  private static final Logger log = Logger.getLogger(TorrentSession.class.getName());

  private final Torrent torrent;
  private final BlockStore store;
  private final Clock clock;
  private final PrefixHasher hasher;
  private final Subscribers subscribers;
  private final PeerExchange peerExchange;
  private final UploadTally uploads;
  private final TransferProgress progress;
  private final DownloadView download;
  private final Runnable newcomer;
  private final Map<String, io.minibit.core.Bitfield> subscribedWith = new ConcurrentHashMap<>();
  private final UploadSlots uploadSlots;
  private final SuperSeedOffers offers;

  /**
   * @param superSeeding whether, once seeding, each subscriber is shown a few blocks at a time
   *     (see {@link io.minibit.peer.policy.SuperSeeding}) rather than the whole bitfield
   */
  public TorrentSession(Torrent torrent, BlockStore store, Clock clock, Executor hashExecutor,
      HaveWindow.Timer timer, Choker choker, boolean superSeeding) {
    this(torrent, store, clock, hashExecutor, timer, choker, superSeeding,
        new PeerExchange("", clock, learned -> { }), DownloadView.NONE, () -> { });
  }

  /**
   * As above, with the peers this peer can dial kept, and told to subscribers, by
   * {@code peerExchange}.
   *
   * @param download the download that fills this torrent, read when the choker, the interest
   *     check or a snapshot needs it
   * @param newcomer run when a peer the download does not know subscribes while downloading: it
   *     joined the swarm after our last announce
   */
  public TorrentSession(Torrent torrent, BlockStore store, Clock clock, Executor hashExecutor,
      HaveWindow.Timer timer, Choker choker, boolean superSeeding, PeerExchange peerExchange,
      DownloadView download, Runnable newcomer) {
    this.peerExchange = peerExchange;
    this.download = download;
    this.newcomer = newcomer;
    this.torrent = torrent;
    this.progress = new TransferProgress(store, clock);
    this.uploads = new UploadTally(torrent.blockCount(), clock);
    this.store = store;
    this.clock = clock;
    this.subscribers = new Subscribers(clock, torrent.blockCount(), timer);
    this.offers = new SuperSeedOffers(superSeeding, torrent.blockCount(), clock, subscribers,
        this::isSeeding);
    this.hasher = new PrefixHasher(torrent, store, hashExecutor);
    this.uploadSlots = new UploadSlots(choker, clock, subscribers, this::isSeeding,
        this::isInterested, download::receivedRate, offers::chokeChanged);
  }

  /** The blocks its store already held are checked: the download itself begins. */
  public void checked() {
    progress.checked();
  }

  public Torrent torrent() {
    return torrent;
  }

  public BlockStore store() {
    return store;
  }

  public Subscribers subscribers() {
    return subscribers;
  }

  public SessionState state() {
    return progress.state();
  }

  public boolean isSeeding() {
    return progress.state() == SessionState.SEEDING;
  }

  /** Completes with the final path once the file is whole and verified, or with the failure. */
  public CompletableFuture<Path> completion() {
    return progress.completion();
  }

  /** The peers of the swarm this peer can dial, and what each subscriber was told of them. */
  public PeerExchange peerExchange() {
    return peerExchange;
  }

  /**
   * The tracker handed out {@code peers}: they are kept for peer exchange. Returns the ones new
   * here (well formed, not this peer).
   */
  public List<PeerExchange.Endpoint> heardFromTracker(Collection<PeerExchange.Endpoint> peers) {
    return peerExchange.fromTracker(peers);
  }

  /** Sends each subscriber the peers due to it (peer exchange). Called every second or so. */
  public void exchangePeers() {
    subscribers.exchangePeers(peerExchange);
  }

  /** Who this peer serves for this torrent. */
  public UploadSlots uploadSlots() {
    return uploadSlots;
  }

  /**
   * True if peer {@code peerId} may want something from us: it lacks a block we hold, as far as
   * we know (what the running download last heard from it, else what it said it held when it
   * subscribed; a peer we know nothing of counts as interested).
   */
  public boolean isInterested(String peerId) {
    io.minibit.core.Bitfield known = download.bitfieldOf(peerId);
    io.minibit.core.Bitfield theirs = known != null ? known : subscribedWith.get(peerId);
    return theirs == null || store.bitfield().setBits().anyMatch(index -> !theirs.get(index));
  }

  /**
   * Adds peer {@code peerId}'s Subscribe stream: it gets the bitfield and, if a slot is free,
   * an unchoke at once. {@code theirs} is what it says it holds already; {@code haveLists},
   * whether it takes HaveList events.
   */
  public void subscribe(String peerId, String host, String connection,
      io.minibit.core.Bitfield theirs, boolean haveLists,
      ServerCallStreamObserver<SubscribeResponse> stream) {
    subscribers.requireRoom(host);
    subscribedWith.put(peerId, theirs);
    // A peer that lacks nothing we hold is not given a slot it would not use.
    boolean unchoked = isInterested(peerId) && uploadSlots.admit(peerId, host);
    Supplier<io.minibit.core.Bitfield> shown = offers.shown(peerId, theirs, store::bitfield);
    subscribers.add(peerId, host, connection, stream, shown, unchoked, haveLists, () -> {
      if (!subscribers.contains(peerId)) {
        subscribedWith.remove(peerId);
      }
      uploadSlots.left(peerId);
      offers.left(peerId);
    });
    if (!isSeeding() && download.lacksSource(peerId)) {
      newcomer.run();
    }
  }

  /**
   * While super-seeding: offers more blocks to the served subscribers that got their offered
   * ones elsewhere. Called every second or so.
   */
  public void topUpOffers() {
    offers.topUp(uploadSlots::isChoking);
  }

  /** Payload bytes arrived from a peer, verified or not. */
  public void recordDownloaded(long bytes) {
    progress.received(bytes);
  }

  /**
   * The blocks a GetBlocks call of {@code indices} is to send: all of them when {@code max} is 0
   * or covers them, else the {@code max} this peer has offered least so far (ties in the order
   * given), so that a seed spreads its upload over blocks nobody has yet. Either way the blocks
   * chosen count as offered once more.
   */
  public List<Integer> chooseToSend(List<Integer> indices, int max) {
    return uploads.chooseToSend(indices, max);
  }

  /** Block {@code index}, {@code bytes} long, was sent to {@code peerId}. */
  public void recordUploaded(String peerId, int index, long bytes) {
    if (uploads.record(index, bytes) && isSeeding()) {
      log.info(() -> String.format("%s: every block uploaded at least once, %.1f s after the first"
          + " (%.2f copies sent)", torrent, Duration.between(uploads.first(), clock.instant())
          .toMillis() / 1000.0, (double) uploads.bytes() / torrent.size()));
    }
    uploadSlots.recordSent(peerId, bytes);
    offers.sent(peerId, index);
  }

  /** When a block was last sent to a peer; null if none was since the daemon started. */
  public Instant lastUploadAt() {
    return uploads.last();
  }

  public long uploadedBytes() {
    return uploads.bytes();
  }

  /** Bytes per second received lately; 0 once seeding. */
  public double downloadRate() {
    return progress.rate();
  }

  public long downloadedBytes() {
    return progress.receivedBytes();
  }

  /** A block was verified and written: tell the subscribers, and extend the whole-file hash. */
  public void onBlockStored(int index) {
    subscribers.broadcastHave(index);
    uploadSlots.admitInterested();
    hasher.blockStored();
  }

  /**
   * Every block is here: check the whole file, give it its final name, and seed. On a mismatch
   * the session fails with DATA_LOSS.
   */
  public void finishDownload() {
    finishDownload(path -> { });
  }

  /**
   * As above, with {@code recorded} given the verified file's path before anyone learns the
   * download is complete: what it notes (that the file is verified) is there by the time a
   * caller that waited for the end can stop the daemon.
   */
  public void finishDownload(Consumer<Path> recorded) {
    try {
      Path path = store.finish();
      recorded.accept(path);
      download.ended();
      Duration took = progress.seeding();
      log.info(() -> String.format("%s complete and verified in %.1f s: %s", torrent,
          took.toMillis() / 1000.0, path));
      progress.completion().complete(path);
    } catch (MinibitException e) {
      fail(e);
    } catch (IOException e) {
      fail(new MinibitException(ErrorCode.INTERNAL,
          "cannot finish " + torrent.name() + ": " + e.getMessage(), e));
    }
  }

  /** Stops the transfer for good with {@code reason}. */
  public void fail(MinibitException reason) {
    log.warning(() -> torrent + " failed: " + reason.getMessage());
    download.ended();
    progress.failed(reason.getMessage());
    progress.completion().completeExceptionally(reason);
  }

  /** The transfer's figures now; the download is asked why it is slow. */
  public TransferSnapshot snapshot() {
    SessionState now = progress.state();
    // Why a download is slow is asked of it now; a failure's reason stays.
    String reason = now == SessionState.DOWNLOADING ? download.stallReason() : progress.failure();
    long held = Math.min(torrent.size(), (long) store.haveCount() * torrent.blockSize());
    return new TransferSnapshot(torrent.infoHash(), torrent.name(), store.finalPath(),
        torrent.size(), torrent.blockCount(), store.haveCount(), store.resumedBlocks(), now,
        reason, progress.receivedBytes(), uploads.bytes(), progress.rate(),
        progress.elapsedMillis(), progress.etaMillis(torrent.size(), held),
        PeerSnapshot.merge(download.peers(), uploadSlots.sent()));
  }

  @Override
  public String toString() {
    return torrent.toString();
  }
}
