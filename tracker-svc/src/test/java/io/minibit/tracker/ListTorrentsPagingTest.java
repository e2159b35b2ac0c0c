package io.minibit.tracker;

import static io.minibit.tracker.TrackerHarness.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.Manifest;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.core.Torrent;
import io.minibit.core.testing.TestKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ListTorrents a page at a time: page sizes, tokens, and pages while torrents are published. */
class ListTorrentsPagingTest {
  @RegisterExtension
  final TrackerHarness tracker = TrackerHarness.builder().build();
  private long seed;

  /** Publishes a one-block torrent named {@code name} (new content each time); its infohash. */
  private String publish(String name) {
    Manifest manifest = TestManifests.manifest(name, 1000, TestManifests.BLOCK_SIZE, ++seed);
    return tracker.tracker().publish(TestKeys.publish(manifest, tracker.clock.instant()))
        .getInfohash();
  }

  private ListTorrentsResponse page(int size, String token) {
    return tracker.tracker().listTorrents(
        ListTorrentsRequest.newBuilder().setPageSize(size).setPageToken(token).build());
  }

  /** Every page from the first on, following next_page_token until it is empty. */
  private List<ListTorrentsResponse> allPages(int size) {
    List<ListTorrentsResponse> pages = new ArrayList<>();
    String token = "";
    do {
      ListTorrentsResponse page = page(size, token);
      pages.add(page);
      token = page.getNextPageToken();
      assertTrue(pages.size() <= 1000, "the pages never end");
    } while (!token.isEmpty());
    return pages;
  }

  private static List<String> hashes(List<ListTorrentsResponse> pages) {
    return pages.stream().flatMap(p -> p.getTorrentsList().stream())
        .map(TorrentSummary::getInfohash).toList();
  }

  @Test
  void severalPagesListEveryTorrentOnceInTheCatalogsOrder() {
    List<TorrentSummary> expected = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      // a few names twice: the infohash orders torrents of the same name
      String name = "file-" + (i % 17) + ".bin";
      expected.add(TorrentSummary.newBuilder().setName(name).setInfohash(publish(name)).build());
    }
    expected.sort(Comparator.comparing(TorrentSummary::getName)
        .thenComparing(TorrentSummary::getInfohash));

    List<ListTorrentsResponse> pages = allPages(5);

    assertEquals(5, pages.size(), "23 torrents in pages of 5");
    pages.subList(0, 4).forEach(p -> assertEquals(5, p.getTorrentsCount()));
    assertEquals(3, pages.get(4).getTorrentsCount());
    assertEquals(expected.stream().map(TorrentSummary::getInfohash).toList(), hashes(pages));
  }

  @Test
  void aFullLastPageHasNoTokenRatherThanAnEmptyPageAfterIt() {
    for (int i = 0; i < 4; i++) {
      publish("f" + i);
    }
    List<ListTorrentsResponse> pages = allPages(2);

    assertEquals(2, pages.size());
    assertEquals(2, pages.get(1).getTorrentsCount());
    ListTorrentsResponse byDefault = page(0, "");
    assertEquals(4, byDefault.getTorrentsCount());
    assertEquals("", byDefault.getNextPageToken(), "all 4 fit the default page");
  }

  @Test
  void aTokenStaysGoodWhileTorrentsArePublished() {
    for (String name : List.of("b", "d", "f", "h")) {
      publish(name);
    }
    ListTorrentsResponse first = page(2, "");
    assertEquals(List.of("b", "d"), names(first));

    publish("a"); // before the page's end: not listed by the pages to come
    publish("e"); // after it: listed
    ListTorrentsResponse second = page(2, first.getNextPageToken());
    ListTorrentsResponse third = page(2, second.getNextPageToken());

    assertEquals(List.of("e", "f"), names(second));
    assertEquals(List.of("h"), names(third));
    assertEquals("", third.getNextPageToken());
  }

  @Test
  void aTokenOutlivesATrackerRestart() throws IOException {
    for (String name : List.of("x", "y", "z")) {
      publish(name);
    }
    String token = page(1, "").getNextPageToken();

    tracker.restart();

    assertEquals(List.of("y"), names(page(1, token)));
  }

  private static List<String> names(ListTorrentsResponse page) {
    return page.getTorrentsList().stream().map(TorrentSummary::getName).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "not a token!",            // not base64
      "AAAA",                    // too short for an infohash
      "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // an unknown version
  })
  void aTokenThisTrackerDidNotIssueIsInvalidArgument(String token) {
    publish("only");

    StatusRuntimeException e = assertStatus(Status.Code.INVALID_ARGUMENT, () -> page(10, token));

    assertTrue(e.getStatus().getDescription().startsWith(
        "page_token is not one this tracker issued"), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("next_page_token"),
        e.getStatus().toString());
  }

  @Test
  void aTokenWhoseNameIsNotUtf8OrThatIsTooLongIsInvalidArgument() {
    byte[] bytes = new byte[1 + 32 + 2];
    bytes[0] = 1;
    bytes[33] = (byte) 0xC3; // a UTF-8 lead byte followed by no continuation
    bytes[34] = 'x';
    String notUtf8 = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    String tooLong = Base64.getUrlEncoder().withoutPadding().encodeToString(
        ("\u0001" + "a".repeat(600)).getBytes(StandardCharsets.ISO_8859_1));

    assertTrue(assertStatus(Status.Code.INVALID_ARGUMENT, () -> page(10, notUtf8)).getStatus()
        .getDescription().contains("not UTF-8"));
    assertTrue(assertStatus(Status.Code.INVALID_ARGUMENT, () -> page(10, tooLong)).getStatus()
        .getDescription().contains("characters long"));
  }

  @Test
  void aNegativePageSizeIsInvalidArgument() {
    StatusRuntimeException e = assertStatus(Status.Code.INVALID_ARGUMENT, () -> page(-1, ""));

    assertEquals("page_size -1 is negative: give 1..1000, or 0 for 100",
        e.getStatus().getDescription());
  }

  @Test
  void pageSizeZeroMeansTheDefaultAndALargerOneThanTheMostCountsAsTheMost() {
    for (int i = 0; i < TrackerGrpcService.MAX_PAGE_SIZE + 1; i++) {
      publish(String.format("t%04d", i));
    }

    ListTorrentsResponse byDefault = page(0, "");
    ListTorrentsResponse huge = page(Integer.MAX_VALUE, "");

    assertEquals(TrackerGrpcService.DEFAULT_PAGE_SIZE, byDefault.getTorrentsCount());
    assertEquals("t0099", byDefault.getTorrents(99).getName());
    assertFalse(byDefault.getNextPageToken().isEmpty());
    assertEquals(TrackerGrpcService.MAX_PAGE_SIZE, huge.getTorrentsCount());
    assertEquals(List.of("t1000"), names(page(Integer.MAX_VALUE, huge.getNextPageToken())));
    assertEquals(1, page(1, "").getTorrentsCount());
  }

  @Test
  void aTokenCarriesAnyNameThroughUnchanged() {
    Torrent torrent = Torrent.of(
        TestManifests.manifest("caf\u00e9 \u65e5\u672c.bin", 1000, TestManifests.BLOCK_SIZE, 1));
    CatalogPosition position = CatalogPosition.of(torrent);

    assertEquals(position, CatalogPosition.parse(position.token()));
    assertTrue(position.token().matches("[A-Za-z0-9_-]+"), position.token());
  }
}
