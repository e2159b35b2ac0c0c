package io.minibit.core.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * How a call is retried, as {@link Channels#SERVICE_CONFIG} says, for a channel that does not
 * read a service config itself. gRPC's rules: attempt {@code n + 1} waits a random time up to
 * {@code min(initialBackoff * multiplier^(n - 1), maxBackoff)} after attempt {@code n} failed
 * with a retryable code. Immutable.
 *
 * @param maxAttempts attempts in all, the first included
 * @param initialBackoff the bound of the first wait
 * @param maxBackoff the largest bound a wait ever has
 * @param multiplier how much the bound grows from one wait to the next
 * @param retryableCodes the codes a failed attempt is retried on
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff,
    double multiplier, Set<Status.Code> retryableCodes) {

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    retryableCodes = Set.copyOf(retryableCodes);
  }

  /** The policy {@link Channels#SERVICE_CONFIG} gives {@code method}, if any. */
  public static Optional<RetryPolicy> forMethod(MethodDescriptor<?, ?> method) {
    return forMethod(Channels.SERVICE_CONFIG, method);
  }

  /** The policy a service config in gRPC's JSON-as-maps form gives {@code method}, if any. */
  static Optional<RetryPolicy> forMethod(Map<String, ?> serviceConfig,
      MethodDescriptor<?, ?> method) {
    String service = method.getServiceName();
    String name = method.getBareMethodName();
    for (Object entry : list(serviceConfig.get("methodConfig"))) {
      Map<?, ?> config = (Map<?, ?>) entry;
      boolean named = list(config.get("name")).stream().map(Map.class::cast).anyMatch(n ->
          Objects.equals(n.get("service"), service)
              && (n.get("method") == null || Objects.equals(n.get("method"), name)));
      if (named && config.get("retryPolicy") instanceof Map<?, ?> policy) {
        return Optional.of(parse(policy));
      }
    }
    return Optional.empty();
  }

  /** How long to wait before retry number {@code retry} (1 for the second attempt). */
  public Duration backoff(int retry, RandomGenerator random) {
    double bound = Math.min(initialBackoff.toNanos() * Math.pow(multiplier, retry - 1),
        maxBackoff.toNanos());
    return Duration.ofNanos((long) (bound * random.nextDouble()));
  }

  private static RetryPolicy parse(Map<?, ?> policy) {
    Set<Status.Code> codes = EnumSet.noneOf(Status.Code.class);
    list(policy.get("retryableStatusCodes")).forEach(code ->
        codes.add(Status.Code.valueOf((String) code)));
    return new RetryPolicy(((Number) policy.get("maxAttempts")).intValue(),
        seconds(policy.get("initialBackoff")), seconds(policy.get("maxBackoff")),
        ((Number) policy.get("backoffMultiplier")).doubleValue(), codes);
  }

  /** "0.2s", as gRPC's JSON writes a duration. */
  private static Duration seconds(Object text) {
    String value = (String) text;
    if (!value.endsWith("s")) {
      throw new IllegalArgumentException("not a duration in seconds: " + value);
    }
    return Duration.ofNanos(Math.round(
        Double.parseDouble(value.substring(0, value.length() - 1)) * 1e9));
  }

  private static List<?> list(Object value) {
    return value == null ? List.of() : (List<?>) value;
  }
}
