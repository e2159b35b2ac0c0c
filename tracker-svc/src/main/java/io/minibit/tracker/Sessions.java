package io.minibit.tracker;

import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The peers' sessions held in memory, by peer id: each one's token, the address it was opened
 * from and the swarms it is in. Sessions are kept in the order of their last contact, the
 * longest silent first, so finding the expired ones costs nothing while there are none; the
 * sessions of each address are counted, and the ids of sessions dropped as expired are kept
 * until they are reported.
 *
 * <p>Not thread-safe: {@link SwarmRegistry}'s lock guards it.
 */
final class Sessions {
  private static final int TOKEN_BYTES = 16;
  private static final HexFormat HEX = HexFormat.of();
  private static final SecureRandom TOKEN_SOURCE = new SecureRandom();

  /** One peer's session. */
  static final class Session {
    final String token;
    final String source; // null if unknown
    final Set<InfoHash> swarms = new LinkedHashSet<>();
    Instant lastSeen;

    Session(String token, String source, Instant lastSeen) {
      this.token = token;
      this.source = source;
      this.lastSeen = lastSeen;
    }
  }

  private final Duration timeout;
  /** By last contact, the longest silent first: a refresh moves a session to the end. */
  private final LinkedHashMap<String, Session> sessions = new LinkedHashMap<>();
  /** Live sessions by the address they were opened from. */
  private final Map<String, Integer> bySource = new HashMap<>();
  /** Sessions dropped as expired since the last {@link #takeExpired()}, which reports them. */
  private final Set<String> expiredSinceSweep = new LinkedHashSet<>();

  /** @param timeout how long a session lasts without a refresh */
  Sessions(Duration timeout) {
    this.timeout = timeout;
  }

  Duration timeout() {
    return timeout;
  }

  /** The live (or expired, not yet dropped) session of {@code peerId}, or null. */
  Session get(String peerId) {
    return sessions.get(peerId);
  }

  /** Whether {@code source} (null: unknown, never full) holds {@code limit} sessions already. */
  boolean sourceFull(String source, int limit) {
    return source != null && bySource.getOrDefault(source, 0) >= limit;
  }

  /** Opens a session with a new token for {@code peerId}, heard from at {@code now}. */
  Session open(String peerId, String source, Instant now) {
    Session session = new Session(newToken(), source, now);
    sessions.put(peerId, session);
    if (source != null) {
      bySource.merge(source, 1, Integer::sum);
    }
    // back before the sweep: it starts clean, and it was never gone for those who asked
    expiredSinceSweep.remove(peerId);
    return session;
  }

  /** {@code session} heard from at {@code now}: it moves to the end of the order. */
  void refresh(String peerId, Session session, Instant now) {
    session.lastSeen = now;
    sessions.remove(peerId);
    sessions.put(peerId, session);
  }

  /** Ends the session of {@code peerId} (not as expired); the caller empties its swarms. */
  void remove(String peerId) {
    Session session = sessions.remove(peerId);
    if (session != null) {
      uncount(session);
    }
  }

  /**
   * Drops every expired session, hands each to {@code leave} (which takes its peer out of its
   * swarms), and keeps its id for {@link #takeExpired()}. The longest silent sessions come
   * first, so this stops at the first live one.
   */
  void dropExpired(Instant now, BiConsumer<String, Session> leave) {
    for (Iterator<Map.Entry<String, Session>> it = sessions.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<String, Session> entry = it.next();
      if (!isExpired(entry.getValue(), now)) {
        return;
      }
      it.remove();
      uncount(entry.getValue());
      leave.accept(entry.getKey(), entry.getValue());
      expiredSinceSweep.add(entry.getKey());
    }
  }

  /** The ids of the sessions dropped as expired since the last call. */
  List<String> takeExpired() {
    List<String> expired = List.copyOf(expiredSinceSweep);
    expiredSinceSweep.clear();
    return expired;
  }

  /**
   * When the first session held falls due if nothing refreshes it before ({@code now} if one
   * was dropped and not reported yet); empty if no session is held. Call after
   * {@link #dropExpired}.
   */
  Optional<Instant> nextExpiry(Instant now) {
    if (!expiredSinceSweep.isEmpty()) {
      return Optional.of(now); // dropped already, not reported yet
    }
    if (sessions.isEmpty()) {
      return Optional.empty();
    }
    // the longest silent session is the first; isExpired() is strict: the session is still
    // live at lastSeen + timeout exactly
    return Optional.of(sessions.values().iterator().next().lastSeen.plus(timeout)
        .plusNanos(1));
  }

  /** Sessions held, expired or not, until they are dropped. */
  int size() {
    return sessions.size();
  }

  /** PERMISSION_DENIED unless {@code presented} is the token of {@code session}. */
  static void requireToken(Session session, String peerId, String presented) {
    if (!tokenMatches(session, presented)) {
      throw new MinibitException(ErrorCode.PERMISSION_DENIED, String.format(
          "session token does not match the live session of peer %s", peerId));
    }
  }

  static boolean tokenMatches(Session session, String presented) {
    // Constant-time, so response timing does not leak how much of a guess was right.
    return MessageDigest.isEqual(session.token.getBytes(StandardCharsets.US_ASCII),
        presented.getBytes(StandardCharsets.UTF_8));
  }

  private boolean isExpired(Session session, Instant now) {
    return now.isAfter(session.lastSeen.plus(timeout));
  }

  private void uncount(Session session) {
    if (session.source != null) {
      bySource.computeIfPresent(session.source, (source, n) -> n == 1 ? null : n - 1);
    }
  }

  /** A new session token: 128 random bits, in hex; the Redis store's too. */
  static String newToken() {
    byte[] bytes = new byte[TOKEN_BYTES];
    TOKEN_SOURCE.nextBytes(bytes);
    return HEX.formatHex(bytes);
  }
}
