package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrackerTargetsTest {
  private static String refused(String text) {
    return assertThrows(IllegalArgumentException.class,
        () -> TrackerTargets.parse("--tracker", text)).getMessage();
  }

  @Test
  void oneTrackerIsAListOfOne() {
    TrackerTargets one = TrackerTargets.parse("--tracker", "tracker.lan:6969");
    assertEquals(List.of("tracker.lan:6969"), one.targets());
    assertEquals("tracker.lan:6969", one.toString());
  }

  @Test
  void severalTrackersKeepTheirOrderAndLoseTheSpacesAroundCommas() {
    TrackerTargets list = TrackerTargets.parse("--tracker",
        "t2.lan:6969, 10.0.0.1:7000 ,[::1]:6969");
    assertEquals(List.of("t2.lan:6969", "10.0.0.1:7000", "[::1]:6969"), list.targets());
    assertEquals(3, list.size());
    assertEquals("t2.lan:6969,10.0.0.1:7000,[::1]:6969", list.toString());
  }

  @Test
  void aDnsNameIsOneEntryWhoseAddressesTheChannelResolves() {
    TrackerTargets dns = TrackerTargets.parse("--tracker", "dns:///trackers.lan:6969");
    assertEquals(List.of("dns:///trackers.lan:6969"), dns.targets());
    TrackerTargets mixed = TrackerTargets.parse("--tracker",
        "DNS:///trackers.lan:6969,backup.lan:6969");
    assertEquals(List.of("dns:///trackers.lan:6969", "backup.lan:6969"), mixed.targets());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "a:1,,b:2        | has an empty entry (number 2)",
      "a:1,            | has an empty entry (number 2)",
      ",a:1            | has an empty entry (number 1)",
      "a:1,a:1         | names a:1 twice",
      "a:1,A:1         | names A:1 twice",
      "a:70000         | 'a:70000': port 70000 is not a port: give 1..65535",
      "a:0             | 'a:0': port 0 is not a port",
      "a:x             | 'a:x' does not end in a port number",
      "a               | 'a' has no port",
      "a:              | 'a:' has no port",
      ":6969           | ':6969' has no host",
      "::1:6969        | write an IPv6 address in brackets",
      "dns:///a        | 'dns:///a' has no port",
      "dns:///a:99999  | port 99999 is not a port",
      "http://a:1      | is not HOST:PORT or dns:///NAME:PORT",
      "unix:///tmp/s   | is not HOST:PORT or dns:///NAME:PORT",
      "a b:1           | is not a host name or IP address"})
  void aBadEntryIsNamedInOneLine(String text, String expected) {
    String message = refused(text);
    assertEquals(true, message.contains(expected), message);
    assertEquals(true, message.startsWith("--tracker"), message);
    assertEquals(-1, message.indexOf('\n'), message);
  }

  @Test
  void anEmptyValueSaysWhatToGive() {
    assertEquals(true, refused("  ").contains("--tracker is empty"));
  }
}
