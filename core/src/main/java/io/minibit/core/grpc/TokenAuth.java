package io.minibit.core.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * A shared secret sent as call metadata ({@value #HEADER_NAME}), for the peer's control API when
 * it listens beyond loopback. The server side refuses a call without the right token as
 * UNAUTHENTICATED; only grpc.health.v1.Health stays open, so probes need no secret.
 */
public final class TokenAuth {
  public static final String HEADER_NAME = "minibit-token";
  static final Metadata.Key<String> HEADER =
      Metadata.Key.of(HEADER_NAME, Metadata.ASCII_STRING_MARSHALLER);

  private TokenAuth() {}

  /** Checks that {@code token} can travel as a header: 16..256 printable ASCII characters. */
  public static String requireUsable(String token) {
    if (token.length() < 16 || token.length() > 256) {
      throw new IllegalArgumentException("the control token must be 16..256 characters long");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new IllegalArgumentException(
            "the control token may hold printable ASCII characters only, no spaces");
      }
    }
    return token;
  }

  /** A server interceptor that lets in only calls presenting {@code token}. */
  /**
   * The token given either inline or as {@code file}, whose first line it is (a token in a file
   * stays out of the process list). Empty if neither is given; IllegalArgumentException, with a
   * message for the user, if both are or the file cannot be read.
   */
  public static String inlineOrFromFile(String inline, String file) {
    if (file.isEmpty()) {
      return inline;
    }
    if (!inline.isEmpty()) {
      throw new IllegalArgumentException(
          "give --control-token or --control-token-file, not both");
    }
    try {
      return Files.readAllLines(Path.of(file)).stream().findFirst().orElse("").strip();
    } catch (IOException | InvalidPathException e) {
      throw new IllegalArgumentException("--control-token-file " + file + " cannot be read: "
          + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
    }
  }

  public static ServerInterceptor require(String token) {
    byte[] expected = requireUsable(token).getBytes(StandardCharsets.US_ASCII);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        if (HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
          return next.startCall(call, headers);
        }
        String presented = headers.get(HEADER);
        // Constant-time, so response timing does not leak how much of a guess was right.
        if (presented == null || !MessageDigest.isEqual(expected,
            presented.getBytes(StandardCharsets.US_ASCII))) {
          call.close(Status.UNAUTHENTICATED.withDescription(presented == null
              ? "this control API needs a token: pass --control-token or set MINIBIT_CONTROL_TOKEN"
              : "wrong control token"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }

  /** A client interceptor that sends {@code token} with every call. */
  public static ClientInterceptor attach(String token) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
          CallOptions options, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(HEADER, token);
            super.start(listener, headers);
          }
        };
      }
    };
  }
}
