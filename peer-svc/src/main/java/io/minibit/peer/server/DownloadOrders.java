package io.minibit.peer.server;

import io.minibit.api.v2.DownloadRequest;
import io.minibit.core.MinibitException;
import io.minibit.peer.control.DownloadOrder;

/** Maps the control API's DownloadRequest to the daemon's {@link DownloadOrder}. Stateless. */
public final class DownloadOrders {
  private DownloadOrders() {}

  /** The order {@code request} gives; INVALID_ARGUMENT if it names no torrent. */
  public static DownloadOrder from(DownloadRequest request) {
    return switch (request.getTorrentCase()) {
      case INFOHASH -> new DownloadOrder(DownloadOrder.By.INFOHASH, request.getInfohash(),
          request.getDestination());
      case NAME -> new DownloadOrder(DownloadOrder.By.NAME, request.getName(),
          request.getDestination());
      case TORRENT_NOT_SET -> throw MinibitException.invalid("give an infohash or a name");
    };
  }
}
