package io.minibit.peer.web;

import io.minibit.core.http.HttpEndpoint.Reply;
import io.minibit.core.http.HttpEndpoint.Request;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may act through the swarm page (start a download): the control API's rule, over HTTP. A
 * caller with the control token ({@code Authorization: Bearer TOKEN}) may, from anywhere; without
 * it, only a process of this host that named this host (so a web site whose name an attacker
 * points at 127.0.0.1 gets nothing: its requests carry its own name).
 *
 * <p>Whatever the caller, a request another site's page makes is refused: its {@code Origin} is
 * not the page's own, or the browser says it is cross-site ({@code Sec-Fetch-Site}); and an
 * action's body must be JSON, which a form on another site cannot send without asking first (a
 * CORS preflight, which this server never grants).
 */
final class ActionGuard {
  private final byte[] token; // empty: no token configured

  ActionGuard(String controlToken) {
    this.token = controlToken.getBytes(StandardCharsets.UTF_8);
  }

  /** Why {@code request} may not act, as the reply to give; empty if it may. */
  Optional<Reply> refusal(Request request) {
    String site = request.header("Sec-Fetch-Site");
    if (site.equals("cross-site") || site.equals("same-site")) {
      return refuse(403, "requests from another site's pages are refused");
    }
    String origin = request.header("Origin");
    if (!origin.isEmpty() && !origin.equals("null") && !sameHost(origin, request.header("Host"))) {
      return refuse(403, "requests from another origin (" + origin + ") are refused");
    }
    if (origin.equals("null")) {
      return refuse(403, "requests from an opaque origin are refused");
    }
    String type = request.header("Content-Type").toLowerCase(Locale.ROOT);
    if (!type.startsWith("application/json")) {
      return refuse(415, "send the request as application/json");
    }
    if (hasToken(request.header("Authorization"))) {
      return Optional.empty();
    }
    if (request.caller().isLoopbackAddress() && isLoopbackName(request.header("Host"))) {
      return Optional.empty();
    }
    return refuse(403, token.length == 0
        ? "this peer takes actions only from its own host (start it with --control-token to "
            + "allow others, who then send it)"
        : "actions from another host need the control token (Authorization: Bearer TOKEN)");
  }

  private boolean hasToken(String authorization) {
    if (token.length == 0 || !authorization.startsWith("Bearer ")) {
      return false;
    }
    byte[] given = authorization.substring("Bearer ".length()).strip()
        .getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(token, given);
  }

  /** Whether {@code origin} (scheme://host[:port]) names the host the request was sent to. */
  private static boolean sameHost(String origin, String host) {
    try {
      URI uri = URI.create(origin);
      if (uri.getHost() == null || host.isEmpty()) {
        return false;
      }
      String authority = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
      return authority.equalsIgnoreCase(host);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** localhost, 127.x.y.z or [::1], with or without a port. */
  static boolean isLoopbackName(String host) {
    String name = host.toLowerCase(Locale.ROOT);
    if (name.startsWith("[")) {
      return name.startsWith("[::1]");
    }
    int colon = name.indexOf(':');
    if (colon >= 0) {
      name = name.substring(0, colon);
    }
    return name.equals("localhost") || name.matches("127(\\.\\d{1,3}){3}");
  }

  private static Optional<Reply> refuse(int status, String message) {
    return Optional.of(SwarmPage.error(status, message));
  }
}
