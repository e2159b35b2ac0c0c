package io.minibit.tracker;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a Redis store is: {@code redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]}, port 6379 and
 * database 0 unless given. {@link #toString()} never shows the password.
 *
 * @param user the ACL user, or empty for the default one
 * @param password empty for a Redis without AUTH
 */
public record RedisAddress(String host, int port, int database, Optional<String> user,
    Optional<String> password) {
  public static final int DEFAULT_PORT = 6379;
  private static final int MAX_DATABASE = 10_000;

  public RedisAddress {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
  }

  /** The address {@code uri} names; IllegalArgumentException saying what is wrong with it. */
  public static RedisAddress parse(String uri) {
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      throw invalid(uri, "it is not a URI (" + e.getReason() + ")");
    }
    if (!"redis".equalsIgnoreCase(parsed.getScheme())) {
      throw invalid(uri, "only redis:// stores are known");
    }
    if (parsed.getHost() == null || parsed.getHost().isEmpty()) {
      throw invalid(uri, "it names no host");
    }
    if (parsed.getQuery() != null || parsed.getFragment() != null) {
      throw invalid(uri, "it has a ?query or #fragment, which mean nothing here");
    }
    int port = parsed.getPort() == -1 ? DEFAULT_PORT : parsed.getPort();
    if (port < 1 || port > 65535) {
      throw invalid(uri, "port " + port + " is not 1..65535");
    }
    int database = 0;
    String path = parsed.getPath() == null ? "" : parsed.getPath();
    if (!path.isEmpty() && !path.equals("/")) {
      try {
        database = Integer.parseInt(path.substring(1));
      } catch (NumberFormatException e) {
        database = -1;
      }
      if (database < 0 || database > MAX_DATABASE) {
        throw invalid(uri, "the path " + path + " is not a database number such as /0");
      }
    }
    Optional<String> user = Optional.empty();
    Optional<String> password = Optional.empty();
    String userInfo = parsed.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      String rawUser = colon < 0 ? userInfo : userInfo.substring(0, colon);
      if (colon < 0) {
        throw invalid(uri, "write the password after a colon: redis://:PASSWORD@HOST");
      }
      user = Optional.of(decode(rawUser)).filter(u -> !u.isEmpty());
      password = Optional.of(decode(userInfo.substring(colon + 1)));
    }
    return new RedisAddress(parsed.getHost(), port, database, user, password);
  }

  @Override
  public String toString() {
    String auth = password.isEmpty() ? "" : user.orElse("") + ":***@";
    return "redis://" + auth + host + ":" + port + "/" + database;
  }

  private static String decode(String part) {
    return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static IllegalArgumentException invalid(String uri, String why) {
    // the password stays out of the message: only what comes after its @ is shown
    int at = uri.lastIndexOf('@');
    String shown = at < 0 ? uri : "redis://***@" + uri.substring(at + 1);
    return new IllegalArgumentException("--store " + shown + " is not a store address: " + why
        + " (give redis://HOST:PORT or redis://:PASSWORD@HOST:PORT/DB)");
  }
}
