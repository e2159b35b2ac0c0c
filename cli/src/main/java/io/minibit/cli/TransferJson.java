package io.minibit.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.minibit.api.v2.ListTransfersResponse;
import io.minibit.api.v2.Transfer;
import java.util.List;

/**
 * Replies as JSON for scripts: the proto3 JSON mapping of the .proto messages (the field
 * names in lowerCamelCase, 64-bit numbers as strings, every field present even when zero), the
 * same shape grpcurl prints.
 */
final class TransferJson {
  private static final JsonFormat.Printer LINE =
      JsonFormat.printer().alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();
  private static final JsonFormat.Printer DOCUMENT =
      JsonFormat.printer().alwaysPrintFieldsWithNoPresence();

  private TransferJson() {}

  /** One transfer on one line: what `get --json` prints for each update. */
  static String line(Transfer transfer) {
    return print(LINE, transfer);
  }

  /** Every transfer as one indented document: what `status --json` prints. */
  static String document(List<Transfer> transfers) {
    return print(DOCUMENT, ListTransfersResponse.newBuilder().addAllTransfers(transfers));
  }

  /** Any reply of the daemon or the tracker as one indented document (torrents, share, remove). */
  static String document(MessageOrBuilder reply) {
    return print(DOCUMENT, reply);
  }

  private static String print(JsonFormat.Printer printer, MessageOrBuilder message) {
    try {
      return printer.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a reply cannot be written as JSON", e);
    }
  }
}
