package io.minibit.peer.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.Headers;
import io.minibit.core.http.HttpEndpoint;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ActionGuardTest {
  private static final String TOKEN = "a-control-token-of-some-length";
  private static final InetAddress LOOPBACK = address(127, 0, 0, 1);
  private static final InetAddress OTHER_HOST = address(10, 0, 0, 7);

  private static InetAddress address(int a, int b, int c, int d) {
    try {
      return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static HttpEndpoint.Request post(InetAddress caller, String... headerPairs) {
    Headers headers = new Headers();
    headers.set("Content-Type", "application/json");
    for (int i = 0; i < headerPairs.length; i += 2) {
      headers.set(headerPairs[i], headerPairs[i + 1]);
    }
    return new HttpEndpoint.Request("/api/downloads", headers, "{}".getBytes(), caller);
  }

  private static Optional<Integer> refusal(String token, HttpEndpoint.Request request) {
    return new ActionGuard(token).refusal(request).map(HttpEndpoint.Reply::status);
  }

  private static String message(String token, HttpEndpoint.Request request) {
    return new String(new ActionGuard(token).refusal(request).orElseThrow().body(),
        StandardCharsets.UTF_8);
  }

  @Test
  void thisHostsOwnPageMayActWithoutAToken() {
    assertEquals(Optional.empty(), refusal("", post(LOOPBACK, "Host", "127.0.0.1:9881",
        "Origin", "http://127.0.0.1:9881", "Sec-Fetch-Site", "same-origin")));
    assertEquals(Optional.empty(), refusal("", post(LOOPBACK, "Host", "localhost:9881")));
    assertEquals(Optional.empty(), refusal(TOKEN, post(LOOPBACK, "Host", "[::1]:9881")));
  }

  @Test
  void anotherHostNeedsTheTokenAndOnlyTheRightOne() {
    assertEquals(Optional.of(403), refusal("", post(OTHER_HOST, "Host", "peer7:9881")));
    assertTrue(message("", post(OTHER_HOST, "Host", "peer7:9881")).contains("--control-token"));
    assertEquals(Optional.of(403), refusal(TOKEN, post(OTHER_HOST, "Host", "peer7:9881",
        "Authorization", "Bearer not-the-token")));
    assertEquals(Optional.empty(), refusal(TOKEN, post(OTHER_HOST, "Host", "peer7:9881",
        "Origin", "http://peer7:9881", "Authorization", "Bearer " + TOKEN)));
  }

  @Test
  void aNameAnAttackerPointedAtThisHostIsNotThisHost() {
    // DNS rebinding: the browser runs evil.example's script against 127.0.0.1, same-origin for it
    assertEquals(Optional.of(403), refusal("", post(LOOPBACK, "Host", "evil.example:9881",
        "Origin", "http://evil.example:9881")));
  }

  @Test
  void anotherSitesPageIsRefusedWhateverItCarries() {
    assertEquals(Optional.of(403), refusal(TOKEN, post(LOOPBACK, "Host", "127.0.0.1:9881",
        "Origin", "http://evil.example", "Authorization", "Bearer " + TOKEN)));
    assertEquals(Optional.of(403), refusal("", post(LOOPBACK, "Host", "127.0.0.1:9881",
        "Sec-Fetch-Site", "cross-site")));
    assertEquals(Optional.of(403), refusal("", post(LOOPBACK, "Host", "127.0.0.1:9881",
        "Origin", "null")));
    assertEquals(Optional.of(415), refusal("", post(LOOPBACK, "Host", "127.0.0.1:9881",
        "Content-Type", "text/plain")), "a form's body, which needs no preflight");
  }

  @Test
  void loopbackNamesAreLoopbackOnly() {
    assertTrue(ActionGuard.isLoopbackName("127.0.0.1"));
    assertTrue(ActionGuard.isLoopbackName("127.1.2.3:80"));
    assertTrue(ActionGuard.isLoopbackName("LOCALHOST:9881"));
    assertFalse(ActionGuard.isLoopbackName("127.0.0.1.evil.example"));
    assertFalse(ActionGuard.isLoopbackName("localhost.evil.example:9881"));
    assertFalse(ActionGuard.isLoopbackName("[::2]:9881"));
    assertFalse(ActionGuard.isLoopbackName(""));
  }
}
