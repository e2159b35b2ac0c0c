package io.minibit.peer;

import io.minibit.core.Validation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a peer daemon is configured with; immutable, validated on construction.
 *
 * @param tracker tracker target, "host:port"
 * @param port peer port other peers dial; 0 picks a free one
 * @param controlHost address the control API binds to (127.0.0.1: only local callers)
 * @param controlPort control API port; 0 picks a free one
 * @param dataDir the only directory the daemon reads shared files from and writes downloads to
 * @param advertiseHost address other peers should dial, or empty to let the tracker use the
 *     address it sees
 * @param uploadLimitBytesPerSecond cap on the bytes served to other peers, 0 for none
 * @param noPeersTimeout default for how long a download may find no peer before its caller is
 *     told
 */
public record PeerConfig(
    String tracker,
    int port,
    String controlHost,
    int controlPort,
    Path dataDir,
    String advertiseHost,
    long uploadLimitBytesPerSecond,
    Duration noPeersTimeout) {

  public static final int DEFAULT_PORT = 6881;
  public static final int DEFAULT_CONTROL_PORT = 6880;

  public PeerConfig {
    Objects.requireNonNull(tracker, "tracker");
    Objects.requireNonNull(dataDir, "dataDir");
    if (tracker.isBlank()) {
      throw new IllegalArgumentException("--tracker is empty: give the tracker as HOST:PORT");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port " + port + " is not a port");
    }
    if (controlPort < 0 || controlPort > 65535) {
      throw new IllegalArgumentException("--control-port " + controlPort + " is not a port");
    }
    advertiseHost = advertiseHost == null ? "" : advertiseHost;
    if (!advertiseHost.isEmpty()) {
      Validation.requireHost("--advertise", advertiseHost);
    }
    if (uploadLimitBytesPerSecond < 0) {
      throw new IllegalArgumentException("--upload-limit must not be negative");
    }
    if (noPeersTimeout.isNegative() || noPeersTimeout.isZero()) {
      throw new IllegalArgumentException("the no-peers timeout must be positive");
    }
  }

  /** Defaults for a peer of {@code tracker} keeping its files in {@code dataDir}. */
  public static PeerConfig defaults(String tracker, Path dataDir) {
    return new PeerConfig(tracker, DEFAULT_PORT, "127.0.0.1", DEFAULT_CONTROL_PORT, dataDir, "",
        0, Duration.ofSeconds(30));
  }

  public PeerConfig withPorts(int port, int controlPort) {
    return new PeerConfig(tracker, port, controlHost, controlPort, dataDir, advertiseHost,
        uploadLimitBytesPerSecond, noPeersTimeout);
  }

  public PeerConfig withAdvertiseHost(String host) {
    return new PeerConfig(tracker, port, controlHost, controlPort, dataDir, host,
        uploadLimitBytesPerSecond, noPeersTimeout);
  }

  public PeerConfig withUploadLimit(long bytesPerSecond) {
    return new PeerConfig(tracker, port, controlHost, controlPort, dataDir, advertiseHost,
        bytesPerSecond, noPeersTimeout);
  }
}
