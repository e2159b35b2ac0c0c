package io.minibit.peer.telemetry;

import io.minibit.core.SwarmHealthCalculator;
import io.minibit.peer.control.Usage;
import io.minibit.peer.download.FetchStats;
import io.minibit.peer.session.PeerSnapshot;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferSnapshot;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableDoubleMeasurement;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The peer's metrics. Almost all are read from the transfers' snapshots (the figures `minibit
 * status` shows) once per collection, so they cannot drift from what people see; the download
 * duration is recorded as each download ends. Thread-safe.
 */
public final class PeerMetrics {
  static final AttributeKey<String> INFOHASH = AttributeKey.stringKey("infohash");
  static final AttributeKey<String> NAME = AttributeKey.stringKey("name");
  static final AttributeKey<String> PEER = AttributeKey.stringKey("peer");
  static final AttributeKey<String> SIDE = AttributeKey.stringKey("side");
  static final AttributeKey<String> STATE = AttributeKey.stringKey("state");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
  static final AttributeKey<String> DIRECTION = AttributeKey.stringKey("direction");
  /** The side and state of each count in minibit.peer.peers.choke, in the order counted. */
  private static final String[][] CHOKE_LABELS = {{"us", "choked"}, {"us", "unchoked"},
      {"peer", "choked"}, {"peer", "unchoked"}};

  /**
   * At most this many transfers get series of their own (downloads first); the count of every
   * transfer, by state, is always there: a peer seeding ten thousand files does not become ten
   * thousand series per metric.
   */
  static final int MAX_TRANSFER_SERIES = 100;

  private final Meter meter;
  private final boolean perPeer;
  /**
   * A block comes in a millisecond from a peer on the same rack, in seconds from a far one or
   * one with a queue of calls before ours: the buckets cover both ends, finest where most
   * blocks fall. (The SDK's default buckets, 0 to 10,000, are made for milliseconds: in seconds
   * every block would fall in the first.)
   */
  static final List<Double> BLOCK_LATENCY_BUCKETS = List.of(0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0);
  /** A download takes from under a second (a small file nearby) to hours. */
  static final List<Double> DOWNLOAD_DURATION_BUCKETS = List.of(0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
      10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0);

  /**
   * What the peer's figures are read from at each collection; implementations are thread-safe
   * (collections run on the exporter's thread).
   */
  public interface Source {
    /** Every transfer. */
    Collection<TorrentSession> sessions();

    /** The daemon's limits and how much of them is in use. */
    Usage usage();

    /** How the GetBlocks calls of every download ended, since the daemon started. */
    FetchStats fetchStats();

    /** The swarm of {@code session} as this peer sees it. */
    SwarmHealthCalculator.Health health(TorrentSession session);
  }

  private final DoubleHistogram downloadDuration;
  private final DoubleHistogram blockLatency;
  private final LongCounter pexLearned;

  /** @param perPeer whether each download also has series per remote peer ({@code peer} label) */
  public PeerMetrics(Meter meter, boolean perPeer) {
    this.meter = meter;
    this.perPeer = perPeer;
    this.downloadDuration = meter.histogramBuilder("minibit.peer.download.duration")
        .setUnit("s")
        .setDescription("Time from the start of a download to its verified file (or failure)")
        .setExplicitBucketBoundariesAdvice(DOWNLOAD_DURATION_BUCKETS)
        .build();
    this.blockLatency = meter.histogramBuilder("minibit.peer.block.latency")
        .setUnit("s")
        .setDescription("Time from asking a peer for a block to having it, over every download")
        .setExplicitBucketBoundariesAdvice(BLOCK_LATENCY_BUCKETS)
        .build();
    this.pexLearned = meter.counterBuilder("minibit.peer.pex.learned")
        .setDescription("Peers learned from other peers' lists (peer exchange), not from the "
            + "tracker, over every torrent")
        .build();
  }

  /** Another peer's list (peer exchange) taught this peer {@code peers} new ones. */
  public void peersExchanged(long peers) {
    pexLearned.add(peers);
  }

  /** A block was stored, {@code seconds} after its call asked for it. */
  public void blockArrived(double seconds) {
    blockLatency.record(seconds);
  }

  /** A download ended: completed if {@code failure} is null. */
  public void downloadEnded(TorrentSession session, Throwable failure) {
    TransferSnapshot transfer = session.snapshot();
    downloadDuration.record(transfer.elapsedMs() / 1000.0, Attributes.of(
        INFOHASH, transfer.infoHash().hex(), NAME, transfer.name(),
        OUTCOME, failure == null ? "completed" : "failed"));
  }

  /** Starts reading the figures of {@code daemon}'s transfers at every collection. */
  public void observe(Source daemon) {
    ObservableLongMeasurement downloaded = meter.counterBuilder("minibit.peer.downloaded")
        .setUnit("By").setDescription("Payload bytes received from peers, per torrent")
        .buildObserver();
    ObservableLongMeasurement uploaded = meter.counterBuilder("minibit.peer.uploaded")
        .setUnit("By").setDescription("Payload bytes sent to peers, per torrent")
        .buildObserver();
    ObservableLongMeasurement verified = meter.counterBuilder("minibit.peer.blocks.verified")
        .setDescription("Blocks verified and written since the transfer (re)started")
        .buildObserver();
    ObservableLongMeasurement hashFailures = meter.counterBuilder("minibit.peer.hash_failures")
        .setDescription("Blocks that failed their SHA-256, per torrent")
        .buildObserver();
    ObservableLongMeasurement have = meter.gaugeBuilder("minibit.peer.blocks.have").ofLongs()
        .setDescription("Verified blocks held, per torrent").buildObserver();
    ObservableDoubleMeasurement progress = meter
        .gaugeBuilder("minibit.peer.download.progress.ratio")
        .setUnit("1").setDescription("Share of the blocks held, 0..1").buildObserver();
    ObservableDoubleMeasurement rate = meter.gaugeBuilder("minibit.peer.download.rate")
        .setUnit("By/s").setDescription("Download rate over the last few seconds")
        .buildObserver();
    ObservableLongMeasurement connected = meter.gaugeBuilder("minibit.peer.peers.connected")
        .ofLongs().setDescription("Peers connected and serving, per torrent").buildObserver();
    ObservableLongMeasurement choke = meter.gaugeBuilder("minibit.peer.peers.choke").ofLongs()
        .setDescription("Peers by choke state: side=us (we choke them) or side=peer (they "
            + "choke us); state=choked or unchoked")
        .buildObserver();
    ObservableDoubleMeasurement rtt = meter.gaugeBuilder("minibit.peer.transfer.rtt")
        .setUnit("s").setDescription("Median ping RTT of each peer a download uses")
        .buildObserver();
    ObservableDoubleMeasurement peerRate = meter.gaugeBuilder("minibit.peer.transfer.rate")
        .setUnit("By/s").setDescription("Bytes per second received from each peer lately")
        .buildObserver();
    ObservableDoubleMeasurement share = meter.gaugeBuilder("minibit.peer.transfer.share.ratio")
        .setUnit("1").setDescription("Each peer's share of the blocks a download received, "
            + "0..1: the latency-weighted allocation at work")
        .buildObserver();
    ObservableLongMeasurement inFlight = meter.gaugeBuilder("minibit.peer.transfer.in_flight")
        .ofLongs().setDescription("Blocks asked of each peer and not delivered yet")
        .buildObserver();
    meter.gaugeBuilder("minibit.peer.cache.used").ofLongs().setUnit("By")
        .setDescription("Bytes the files this peer downloaded take on disk (or will, once "
            + "complete): what --cache-max-bytes bounds")
        .buildWithCallback(used -> used.record(daemon.usage().cacheBytes()));
    meter.gaugeBuilder("minibit.peer.cache.limit").ofLongs().setUnit("By")
        .setDescription("--cache-max-bytes; 0 for no bound")
        .buildWithCallback(limit -> limit.record(daemon.usage().limits().cacheMaxBytes()));
    meter.counterBuilder("minibit.peer.cache.evictions")
        .setDescription("Downloaded files deleted by --cache-max-bytes or --seed-ttl")
        .buildWithCallback(evictions -> evictions.record(daemon.usage().evictions()));
    meter.gaugeBuilder("minibit.peer.bandwidth.limit").ofLongs().setUnit("By/s")
        .setDescription("--upload-limit and --download-limit in bytes per second, by "
            + "direction=upload or download; 0 for no cap")
        .buildWithCallback(limit -> {
          var limits = daemon.usage().limits();
          limit.record(limits.uploadBytesPerSecond(), Attributes.of(DIRECTION, "upload"));
          limit.record(limits.downloadBytesPerSecond(), Attributes.of(DIRECTION, "download"));
        });
    meter.counterBuilder("minibit.peer.fetch.calls")
        .setDescription("GetBlocks calls this peer made, by how they ended: outcome=completed, "
            + "cancelled (another copy of the blocks won), choked or failed")
        .buildWithCallback(calls -> {
          FetchStats stats = daemon.fetchStats();
          calls.record(stats.completed(), Attributes.of(OUTCOME, "completed"));
          calls.record(stats.cancelled(), Attributes.of(OUTCOME, "cancelled"));
          calls.record(stats.choked(), Attributes.of(OUTCOME, "choked"));
          calls.record(stats.failed(), Attributes.of(OUTCOME, "failed"));
        });
    ObservableDoubleMeasurement copies = meter.gaugeBuilder("minibit.swarm.distributed_copies")
        .setDescription("Full copies of each torrent among the peers this one knows")
        .buildObserver();
    ObservableLongMeasurement transfers = meter.gaugeBuilder("minibit.peer.transfers")
        .ofLongs().setDescription("Transfers by state (checking, downloading, seeding, failed), "
            + "all of them, also past the " + MAX_TRANSFER_SERIES + " that have series of "
            + "their own")
        .buildObserver();
    meter.batchCallback(() -> {
      List<TorrentSession> sessions = new ArrayList<>(daemon.sessions());
      Map<String, Long> byState = new TreeMap<>();
      for (TorrentSession session : sessions) {
        byState.merge(stateName(session), 1L, Long::sum);
      }
      byState.forEach((state, count) -> transfers.record(count, Attributes.of(STATE, state)));
      // downloads first: they change; a seed's figures mostly do not
      sessions.sort(Comparator.comparing(TorrentSession::isSeeding));
      for (TorrentSession session : sessions.subList(0,
          Math.min(sessions.size(), MAX_TRANSFER_SERIES))) {
        TransferSnapshot t = session.snapshot();
        Attributes torrent = Attributes.of(INFOHASH, t.infoHash().hex(), NAME, t.name());
        downloaded.record(t.downloadedBytes(), torrent);
        uploaded.record(t.uploadedBytes(), torrent);
        verified.record(Math.max(0, t.blocksHave() - t.blocksResumed()), torrent);
        have.record(t.blocksHave(), torrent);
        progress.record(t.blockCount() == 0 ? 1 : (double) t.blocksHave()
            / t.blockCount(), torrent);
        rate.record(t.downloadRate(), torrent);
        long failures = 0;
        long connectedPeers = 0;
        long[] chokes = new long[CHOKE_LABELS.length];
        for (PeerSnapshot p : t.peers()) {
          failures += p.hashFailures();
          if (p.connected()) {
            connectedPeers++;
            chokes[p.chokedByPeer() ? 2 : 3]++;
          }
          if (p.connected() && perPeer) {
            Attributes peer = torrent.toBuilder().put(PEER, p.address()).build();
            rtt.record(p.rttMs() / 1000.0, peer);
            peerRate.record(p.downloadRate(), peer);
            share.record(p.share(), peer);
            inFlight.record(p.inFlight(), peer);
          }
          if (p.bytesSent() > 0 || p.chokedByUs()) {
            chokes[p.chokedByUs() ? 0 : 1]++;
          }
        }
        hashFailures.record(failures, torrent);
        connected.record(connectedPeers, torrent);
        for (int i = 0; i < CHOKE_LABELS.length; i++) {
          choke.record(chokes[i], torrent.toBuilder()
              .put(SIDE, CHOKE_LABELS[i][0]).put(STATE, CHOKE_LABELS[i][1]).build());
        }
        copies.record(daemon.health(session).distributedCopies(), torrent);
      }
    }, transfers, downloaded, uploaded, verified, hashFailures, have, progress, rate, connected,
        choke, rtt, peerRate, share, inFlight, copies);
  }

  /** "downloading", "seeding", ...: the state's name without its enum prefix, in lower case. */
  private static String stateName(TorrentSession session) {
    return session.state().name().toLowerCase(Locale.ROOT);
  }
}
