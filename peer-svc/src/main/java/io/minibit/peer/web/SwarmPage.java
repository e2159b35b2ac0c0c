package io.minibit.peer.web;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.minibit.api.v2.SwarmHealth;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.core.Bitfield;
import io.minibit.core.http.HttpEndpoint;
import io.minibit.peer.PeerDaemon;
import io.minibit.peer.download.Download;
import io.minibit.peer.session.TorrentSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The peer's live swarm page: {@code /} is a plain HTML page whose script polls
 * {@code /api/transfers} every second, the same figures as JSON: every transfer with its
 * progress, rate and ETA, its peers (RTT, rate, share, choke state), its swarm health and a
 * block map. Thread-safe.
 */
public final class SwarmPage {
  /**
   * Block states in {@code blocks}, one character per block: held, being fetched, missing.
   */
  static final char HAVE = 'h';
  static final char FETCHING = 'f';
  static final char MISSING = 'm';

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private final PeerDaemon daemon;
  private final byte[] html;

  public SwarmPage(PeerDaemon daemon) {
    this.daemon = daemon;
    this.html = resource("index.html");
  }

  /** The pages to hand to {@link HttpEndpoint#start}. */
  public Map<String, HttpEndpoint.Page> pages() {
    Map<String, HttpEndpoint.Page> pages = new LinkedHashMap<>();
    pages.put("/api/", new HttpEndpoint.Page("application/json; charset=utf-8",
        path -> path.equals("/api/transfers") ? out -> {
          Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
          GSON.toJson(snapshot(), writer);
          writer.flush();
        } : null));
    pages.put("/", new HttpEndpoint.Page("text/html; charset=utf-8",
        path -> path.equals("/") || path.equals("/index.html") ? out -> out.write(html) : null));
    return pages;
  }

  /** What {@code /api/transfers} answers. */
  public Map<String, Object> snapshot() {
    List<Object> transfers = new ArrayList<>();
    for (TorrentSession session : daemon.sessions()) {
      transfers.add(transfer(session));
    }
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("peerId", daemon.peerId());
    page.put("transfers", transfers);
    return page;
  }

  private Map<String, Object> transfer(TorrentSession session) {
    Transfer t = session.snapshot();
    SwarmHealth health = daemon.health(session);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("infohash", t.getInfohash());
    json.put("name", t.getName());
    json.put("state", t.getState().name().replace("TRANSFER_STATE_", "").toLowerCase());
    json.put("size", t.getSize());
    json.put("blockCount", t.getBlockCount());
    json.put("blocksHave", t.getBlocksHave());
    json.put("progress", t.getBlockCount() == 0 ? 1.0
        : (double) t.getBlocksHave() / t.getBlockCount());
    json.put("downloadRate", t.getDownloadRate());
    json.put("downloadedBytes", t.getDownloadedBytes());
    json.put("uploadedBytes", t.getUploadedBytes());
    json.put("elapsedMs", t.getElapsedMs());
    json.put("etaMs", t.getEtaMs());
    json.put("error", t.getError());
    List<Object> peers = new ArrayList<>();
    for (TransferPeer p : t.getPeersList()) {
      Map<String, Object> peer = new LinkedHashMap<>();
      peer.put("peerId", p.getPeerId());
      peer.put("address", p.getAddress());
      peer.put("status", p.getStatus());
      peer.put("connected", p.getConnected());
      peer.put("rttMs", p.getRttMs());
      peer.put("downloadRate", p.getDownloadRate());
      peer.put("share", p.getShare());
      peer.put("blocksReceived", p.getBlocksReceived());
      peer.put("blocksAvailable", p.getBlocksAvailable());
      peer.put("inFlight", p.getInFlight());
      peer.put("bytesSent", p.getBytesSent());
      peer.put("chokedByPeer", p.getChokedByPeer());
      peer.put("chokedByUs", p.getChokedByUs());
      peers.add(peer);
    }
    json.put("peers", peers);
    Map<String, Object> swarm = new LinkedHashMap<>();
    swarm.put("seeders", health.getSeeders());
    swarm.put("leechers", health.getLeechers());
    swarm.put("distributedCopies", health.getDistributedCopies());
    json.put("swarm", swarm);
    json.put("blocks", blockStates(session));
    json.put("availability", health.getAvailabilityList());
    return json;
  }

  private String blockStates(TorrentSession session) {
    Bitfield have = session.store().bitfield();
    Bitfield fetching = daemon.download(session).map(Download::inFlight).orElse(null);
    StringBuilder states = new StringBuilder(have.size());
    for (int i = 0; i < have.size(); i++) {
      states.append(have.get(i) ? HAVE
          : fetching != null && fetching.get(i) ? FETCHING : MISSING);
    }
    return states.toString();
  }

  private static byte[] resource(String name) {
    try (InputStream in = SwarmPage.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
