package io.minibit.peer.web;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.SwarmHealthCalculator;
import io.minibit.core.http.HttpEndpoint;
import io.minibit.peer.PeerDaemon;
import io.minibit.peer.download.Download;
import io.minibit.peer.server.DownloadOrders;
import io.minibit.peer.session.PeerSnapshot;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferSnapshot;
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
import java.util.Optional;

/**
 * The peer's live swarm page: {@code /} is a plain HTML page whose script polls
 * {@code /api/transfers} every second, the same figures as JSON: every transfer with its
 * progress, rate and ETA, its peers (RTT, rate, share, choke state), its swarm health and a
 * block map. It lists the tracker's catalog ({@code /api/catalog}) with a Download button per
 * file, which POSTs to {@code /api/downloads}: the one action, allowed as {@link ActionGuard}
 * says. Thread-safe.
 */
public final class SwarmPage {
  /**
   * Block states in {@code blocks}, one character per block: held, being fetched, missing.
   */
  static final char HAVE = 'h';
  static final char FETCHING = 'f';
  static final char MISSING = 'm';

  /** The page lists at most this many of the tracker's torrents, in the catalog's order. */
  static final int CATALOG_SHOWN = 1000;

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private final PeerDaemon daemon;
  private final ActionGuard guard;
  private final byte[] html;

  /** A page whose actions only this host's processes may take. */
  public SwarmPage(PeerDaemon daemon) {
    this(daemon, "");
  }

  /** @param controlToken lets a caller that sends it act from anywhere; empty for none */
  public SwarmPage(PeerDaemon daemon, String controlToken) {
    this.daemon = daemon;
    this.guard = new ActionGuard(controlToken);
    this.html = resource("index.html");
  }

  /** The pages to hand to {@link HttpEndpoint#start}. */
  public Map<String, HttpEndpoint.Page> pages() {
    Map<String, HttpEndpoint.Page> pages = new LinkedHashMap<>();
    pages.put("/api/", new HttpEndpoint.Page("application/json; charset=utf-8",
        path -> switch (path) {
          case "/api/transfers" -> json(snapshot());
          case "/api/catalog" -> json(catalog());
          default -> null;
        }));
    pages.put("/", new HttpEndpoint.Page("text/html; charset=utf-8",
        path -> path.equals("/") || path.equals("/index.html") ? out -> out.write(html) : null));
    return pages;
  }

  /** The actions to hand to {@link HttpEndpoint#start}: POST {@code /api/downloads}. */
  public Map<String, HttpEndpoint.Action> actions() {
    return Map.of("/api/downloads", this::download);
  }

  private static HttpEndpoint.Body json(Object value) {
    return out -> {
      Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
      GSON.toJson(value, writer);
      writer.flush();
    };
  }

  /** A refusal or failure as JSON: {@code {"error": message}}. */
  static HttpEndpoint.Reply error(int status, String message) {
    return HttpEndpoint.Reply.json(status, GSON.toJson(Map.of("error", message)));
  }

  /**
   * What {@code /api/catalog} answers: the tracker's torrents, each with whether this peer holds
   * it; or, when the tracker cannot be asked, why.
   */
  Map<String, Object> catalog() {
    Map<String, Object> page = new LinkedHashMap<>();
    List<Object> torrents = new ArrayList<>();
    page.put("more", false);
    try {
      List<TorrentSummary> listed = daemon.catalog(CATALOG_SHOWN + 1);
      page.put("more", listed.size() > CATALOG_SHOWN);
      for (TorrentSummary summary : listed.subList(0, Math.min(listed.size(), CATALOG_SHOWN))) {
        Map<String, Object> torrent = new LinkedHashMap<>();
        torrent.put("infohash", summary.getInfohash());
        torrent.put("name", summary.getName());
        torrent.put("size", summary.getSize());
        torrent.put("seeders", summary.getSeeders());
        torrent.put("leechers", summary.getLeechers());
        torrent.put("held", daemon.holds(summary.getInfohash()));
        torrents.add(torrent);
      }
      page.put("error", "");
    } catch (MinibitException e) {
      page.put("error", "cannot list the tracker's files: " + e.getMessage());
    }
    page.put("torrents", torrents);
    return page;
  }

  /**
   * POST {@code /api/downloads} with {@code {"infohash": "..."}} (or {@code "name"}, and an
   * optional {@code "destination"} inside the data directory): starts the download, which the
   * page then follows, and answers 202 with the transfer as {@code /api/transfers} shows it.
   */
  private HttpEndpoint.Reply download(HttpEndpoint.Request request) throws IOException {
    Optional<HttpEndpoint.Reply> refused = guard.refusal(request);
    if (refused.isPresent()) {
      return refused.get();
    }
    DownloadRequest.Builder asked = DownloadRequest.newBuilder();
    try {
      JsonObject body = JsonParser.parseString(new String(request.body(),
          StandardCharsets.UTF_8)).getAsJsonObject();
      if (body.has("infohash")) {
        asked.setInfohash(body.get("infohash").getAsString());
      } else if (body.has("name")) {
        asked.setName(body.get("name").getAsString());
      } else {
        return error(400, "say which file: {\"infohash\": \"...\"} or {\"name\": \"...\"}");
      }
      if (body.has("destination")) {
        asked.setDestination(body.get("destination").getAsString());
      }
    } catch (RuntimeException e) { // not JSON, not an object, a value of the wrong type
      return error(400, "the body is not a JSON object of strings: {\"infohash\": \"...\"}");
    }
    try {
      TorrentSession session = daemon.download(DownloadOrders.from(asked.build()));
      return HttpEndpoint.Reply.json(202, GSON.toJson(transfer(session)));
    } catch (MinibitException e) {
      return error(httpStatus(e.code()), e.getMessage());
    }
  }

  /** The HTTP status that says what {@code code} says. */
  static int httpStatus(ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, FAILED_PRECONDITION -> 409;
      case RESOURCE_EXHAUSTED -> 507;
      case UNAVAILABLE -> 503;
      case DATA_LOSS, INTERNAL -> 500;
    };
  }

  /** What {@code /api/transfers} answers. */
  public Map<String, Object> snapshot() {
    List<Object> transfers = new ArrayList<>();
    for (TorrentSession session : daemon.sessions()) {
      transfers.add(transfer(session));
    }
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("peerId", daemon.peerId());
    page.put("tracker", daemon.trackerInUse()); // the one calls go to, of those it was given
    page.put("transfers", transfers);
    return page;
  }

  private Map<String, Object> transfer(TorrentSession session) {
    TransferSnapshot t = session.snapshot();
    SwarmHealthCalculator.Health health = daemon.health(session);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("infohash", t.infoHash().hex());
    json.put("name", t.name());
    json.put("state", t.state().name().toLowerCase());
    json.put("size", t.size());
    json.put("blockCount", t.blockCount());
    json.put("blocksHave", t.blocksHave());
    json.put("progress", t.blockCount() == 0 ? 1.0
        : (double) t.blocksHave() / t.blockCount());
    json.put("downloadRate", t.downloadRate());
    json.put("downloadedBytes", t.downloadedBytes());
    json.put("uploadedBytes", t.uploadedBytes());
    json.put("elapsedMs", t.elapsedMs());
    json.put("etaMs", t.etaMs());
    json.put("error", t.error());
    List<Object> peers = new ArrayList<>();
    for (PeerSnapshot p : t.peers()) {
      Map<String, Object> peer = new LinkedHashMap<>();
      peer.put("peerId", p.peerId());
      peer.put("address", p.address());
      peer.put("status", p.status());
      peer.put("connected", p.connected());
      peer.put("rttMs", p.rttMs());
      peer.put("downloadRate", p.downloadRate());
      peer.put("share", p.share());
      peer.put("blocksReceived", p.blocksReceived());
      peer.put("blocksAvailable", p.blocksAvailable());
      peer.put("inFlight", p.inFlight());
      peer.put("bytesSent", p.bytesSent());
      peer.put("chokedByPeer", p.chokedByPeer());
      peer.put("chokedByUs", p.chokedByUs());
      peers.add(peer);
    }
    json.put("peers", peers);
    Map<String, Object> swarm = new LinkedHashMap<>();
    swarm.put("seeders", health.seeders());
    swarm.put("leechers", health.leechers());
    swarm.put("distributedCopies", health.distributedCopies());
    json.put("swarm", swarm);
    json.put("blocks", blockStates(session));
    json.put("availability", health.availability());
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
