package io.minibit.peer;

import io.minibit.core.cli.Durations;
import io.minibit.core.cli.Sizes;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The flags of the daemon's caps on bandwidth and disk, and of how long a download may find no
 * peer, as a picocli mixin of {@link PeerMain}. Filled by picocli; read after parsing.
 */
final class LimitOptions {
  @Option(names = "--upload-limit", paramLabel = "KIB_PER_S",
      defaultValue = "${env:MINIBIT_UPLOAD_LIMIT:-0}",
      description = "Cap on upload speed in KiB/s, over all peers (env MINIBIT_UPLOAD_LIMIT; "
          + "default: 0, no cap).")
  long uploadLimitKib;

  @Option(names = "--download-limit", paramLabel = "KIB_PER_S",
      defaultValue = "${env:MINIBIT_DOWNLOAD_LIMIT:-0}",
      description = "Cap on download speed in KiB/s, over all downloads (env "
          + "MINIBIT_DOWNLOAD_LIMIT; default: 0, no cap).")
  long downloadLimitKib;

  @Option(names = "--cache-max-bytes", paramLabel = "SIZE", converter = Sizes.Bytes.class,
      defaultValue = "${env:MINIBIT_CACHE_MAX_BYTES:-0}",
      description = "Most disk the files this peer downloaded may take (10G, 500MB, bytes): "
          + "past it, the least recently used ones it only seeds are deleted; files shared "
          + "with `minibit share` never are (env MINIBIT_CACHE_MAX_BYTES; default: 0, no bound).")
  long cacheMaxBytes;

  @Option(names = "--seed-ttl", paramLabel = "DURATION", converter = Durations.WholeSeconds.class,
      defaultValue = "${env:MINIBIT_SEED_TTL:-0}",
      description = "Delete a downloaded file nobody has asked a block of for this long "
          + "(30m, 24h, 7d); files shared with `minibit share` stay "
          + "(env MINIBIT_SEED_TTL; default: 0, never).")
  long seedTtlSeconds;

  @Option(names = "--no-peers-timeout", paramLabel = "SECONDS",
      converter = Durations.WholeSeconds.class,
      defaultValue = "${env:MINIBIT_NO_PEERS_TIMEOUT:-30}",
      description = "How long `minibit get` waits when no peer has what it needs "
          + "(env MINIBIT_NO_PEERS_TIMEOUT; default: ${DEFAULT-VALUE}).")
  long noPeersTimeoutSeconds;

  /** The caps; IllegalArgumentException for a negative one, or one past any link's speed. */
  PeerConfig.Limits limits() {
    return new PeerConfig.Limits(kibPerSecond("--upload-limit", uploadLimitKib),
        kibPerSecond("--download-limit", downloadLimitKib), cacheMaxBytes,
        Duration.ofSeconds(seedTtlSeconds));
  }

  Duration noPeersTimeout() {
    return Duration.ofSeconds(noPeersTimeoutSeconds);
  }

  /** A cap given in KiB/s, in bytes per second; refused when negative or past any link's speed. */
  private static long kibPerSecond(String flag, long kib) {
    if (kib < 0) {
      throw new IllegalArgumentException(flag + " " + kib + " is negative (0 for no cap)");
    }
    if (kib > Long.MAX_VALUE / 1024) {
      throw new IllegalArgumentException(flag + " " + kib + " KiB/s is beyond any link");
    }
    return kib * 1024;
  }
}
