package io.minibit.core;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code google.rpc.ErrorInfo} packed in an {@link Any}, written and read on the wire directly.
 *
 * <p>The generated {@code ErrorInfo} builds the descriptors of its whole file, and of
 * {@code google/protobuf/duration.proto}, the first time one is written or unpacked: its map
 * field needs them even when empty. That took a daemon about a tenth of a CPU-second, paid at its
 * first choked or refused call, in the middle of a download. The three fields this needs are
 * plain protobuf wire format, so they are written and read here with protobuf's own streams;
 * the bytes are those {@code ErrorInfo} writes and reads (ErrorInfoWireTest checks both ways).
 */
final class ErrorInfoWire {
  /** The type URL of an ErrorInfo in an Any, as {@code Any.pack} writes it. */
  static final String TYPE_URL = "type.googleapis.com/google.rpc.ErrorInfo";

  // ErrorInfo's fields: string reason = 1; string domain = 2; map<string, string> metadata = 3.
  private static final int REASON = 1;
  private static final int DOMAIN = 2;
  private static final int METADATA = 3;
  // A map entry's fields: key = 1, value = 2.
  private static final int KEY = 1;
  private static final int VALUE = 2;
  // A field's tag: its number, then its wire type in the low three bits.
  private static final int REASON_TAG = (REASON << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int DOMAIN_TAG = (DOMAIN << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private ErrorInfoWire() {}

  /** The reason and domain of an ErrorInfo, as a failed call carries them. */
  record Info(String reason, String domain) {}

  /** An ErrorInfo of {@code reason}, {@code domain} and {@code metadata}, packed in an Any. */
  static Any pack(String reason, String domain, Map<String, String> metadata) {
    ByteString.Output bytes = ByteString.newOutput();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      if (!reason.isEmpty()) {
        out.writeString(REASON, reason);
      }
      if (!domain.isEmpty()) {
        out.writeString(DOMAIN, domain);
      }
      for (Map.Entry<String, String> entry : metadata.entrySet()) {
        out.writeTag(METADATA, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(CodedOutputStream.computeStringSize(KEY, entry.getKey())
            + CodedOutputStream.computeStringSize(VALUE, entry.getValue()));
        out.writeString(KEY, entry.getKey());
        out.writeString(VALUE, entry.getValue());
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteString.Output does not fail
    }
    return Any.newBuilder().setTypeUrl(TYPE_URL).setValue(bytes.toByteString()).build();
  }

  /**
   * The reason and domain of {@code detail} if it is an ErrorInfo (its type URL may name any
   * host, as {@code Any.is} reads it); empty for another type or bytes that are not a
   * well-formed ErrorInfo.
   */
  static Optional<Info> unpack(Any detail) {
    String url = detail.getTypeUrl();
    int slash = url.lastIndexOf('/');
    if (slash < 0 || !url.substring(slash + 1).equals("google.rpc.ErrorInfo")) {
      return Optional.empty();
    }
    CodedInputStream in = detail.getValue().newCodedInput();
    String reason = "";
    String domain = "";
    try {
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag == REASON_TAG) {
          reason = in.readStringRequireUtf8();
        } else if (tag == DOMAIN_TAG) {
          domain = in.readStringRequireUtf8();
        } else if (!in.skipField(tag)) {
          return Optional.empty(); // an end-group tag with no group open
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.of(new Info(reason, domain));
  }
}
