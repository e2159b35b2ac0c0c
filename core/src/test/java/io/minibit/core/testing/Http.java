package io.minibit.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.DoubleStream;

/** Plain HTTP GETs and readings of the Prometheus text format, for tests of /metrics and pages. */
public final class Http {
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private Http() {}

  /** GETs {@code url}; the response whatever its status. */
  public static HttpResponse<String> get(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET()
        .build());
  }

  public static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** GETs {@code url} and fails unless the answer is 200; returns the body. */
  public static String body(String url) {
    HttpResponse<String> response = get(url);
    if (response.statusCode() != 200) {
      throw new AssertionError("GET " + url + " answered " + response.statusCode() + ": "
          + response.body());
    }
    return response.body();
  }

  /** As {@link #sample}, failing with the samples of {@code metric} there are if none matches. */
  public static double value(String text, String metric, String... labelParts) {
    return sample(text, metric, labelParts).orElseThrow(() -> new AssertionError(
        "no sample of " + metric + " with " + java.util.Arrays.toString(labelParts) + " among:\n" + text.lines()
            .filter(l -> l.startsWith(metric)).collect(java.util.stream.Collectors.joining("\n"))));
  }

  /**
   * The value of the first sample of {@code metric} in Prometheus text whose labels contain
   * every one of {@code labelParts} (say {@code infohash="ab12..."}); empty if there is none.
   */
  public static OptionalDouble sample(String text, String metric, String... labelParts) {
    return samples(text, metric, labelParts).findFirst();
  }

  /** Every sample of {@code metric} whose labels contain every one of {@code labelParts}. */
  public static DoubleStream samples(String text, String metric, String... labelParts) {
    Pattern line = Pattern.compile("^" + Pattern.quote(metric) + "\\{([^}]*)\\} (\\S+)$",
        Pattern.MULTILINE);
    DoubleStream.Builder values = DoubleStream.builder();
    Matcher matcher = line.matcher(text);
    while (matcher.find()) {
      String labels = matcher.group(1);
      if (java.util.Arrays.stream(labelParts).allMatch(labels::contains)) {
        values.add(Double.parseDouble(matcher.group(2)));
      }
    }
    return values.build();
  }
}
