package io.minibit.core.identity;

import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The checking side of MiniBit's Ed25519 proofs (Proof in tracker.proto): what is signed for
 * each purpose, how a peer id derives from a public key, and the verification of a signature
 * that must also be fresh. A signature covers one purpose's text ("minibit-publish-v1" or
 * "minibit-session-v1" first), so one made for a publish can never pass as one for a session.
 *
 * <p>Stateless and thread-safe.
 */
public final class Signatures {
  /** How far a proof's signing time may be from the verifier's clock, either way. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
  /** Length of an Ed25519 public key as X.509 SubjectPublicKeyInfo DER. */
  public static final int PUBLIC_KEY_BYTES = 44;
  /** Length of an Ed25519 signature. */
  public static final int SIGNATURE_BYTES = 64;
  /** Hex digits of the key's SHA-256 in a peer id. */
  static final int PEER_ID_HEX_DIGITS = 32;
  static final String PEER_ID_PREFIX = "mb-";

  private static final HexFormat HEX = HexFormat.of();

  private Signatures() {}

  /** A signature, as it arrives: nothing about it checked yet. */
  public record Claim(byte[] publicKey, Instant signedAt, byte[] signature) {}

  /** The bytes a publisher signs for the manifest of {@code infoHash}. */
  public static byte[] publishMessage(InfoHash infoHash, Instant signedAt) {
    return ("minibit-publish-v1\n" + infoHash.hex() + "\n" + signedAt.toEpochMilli())
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The bytes a peer signs to open a tracker session under {@code peerId}. */
  public static byte[] sessionMessage(String peerId, Instant signedAt) {
    return ("minibit-session-v1\n" + peerId + "\n" + signedAt.toEpochMilli())
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The peer id of {@code publicKey} (X.509 DER): "mb-" and 32 hex digits of its SHA-256. */
  public static String peerIdOf(byte[] publicKey) {
    return PEER_ID_PREFIX + fingerprint(publicKey).substring(0, PEER_ID_HEX_DIGITS);
  }

  /** The SHA-256 of {@code publicKey} (X.509 DER), 64 lowercase hex digits. */
  public static String fingerprint(byte[] publicKey) {
    try {
      return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(publicKey));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * Checks that {@code claim} signs {@code message} with its key, within {@link
   * #MAX_CLOCK_SKEW} of {@code now}. INVALID_ARGUMENT if the key or the signature is not
   * Ed25519-shaped (the message names {@code field}); UNAUTHENTICATED if the signature does not
   * verify or was made too long before or after {@code now}.
   */
  public static void verify(String field, Claim claim, byte[] message, Instant now) {
    PublicKey key = publicKey(field + ".public_key", claim.publicKey());
    if (claim.signature().length != SIGNATURE_BYTES) {
      throw MinibitException.invalid("%s.signature has %d bytes; an Ed25519 signature has %d",
          field, claim.signature().length, SIGNATURE_BYTES);
    }
    Duration skew = Duration.between(now, claim.signedAt()).abs();
    if (skew.compareTo(MAX_CLOCK_SKEW) > 0) {
      throw new MinibitException(ErrorCode.UNAUTHENTICATED, String.format(
          "%s was signed at %s, %d s from this server's clock (%s); a proof must be made within"
              + " %d s of it: check the clocks of both hosts", field, claim.signedAt(),
          skew.toSeconds(), now, MAX_CLOCK_SKEW.toSeconds()));
    }
    boolean valid;
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(key);
      verifier.update(message);
      valid = verifier.verify(claim.signature());
    } catch (GeneralSecurityException e) {
      valid = false; // a signature that is not a point on the curve: simply not valid
    }
    if (!valid) {
      throw new MinibitException(ErrorCode.UNAUTHENTICATED, String.format(
          "%s.signature does not verify with %s.public_key over this request", field, field));
    }
  }

  /** Parses an Ed25519 public key (X.509 DER); INVALID_ARGUMENT naming {@code field} if not. */
  public static PublicKey publicKey(String field, byte[] encoded) {
    if (encoded.length != PUBLIC_KEY_BYTES) {
      throw MinibitException.invalid("%s has %d bytes; an Ed25519 public key (X.509 DER) has %d",
          field, encoded.length, PUBLIC_KEY_BYTES);
    }
    try {
      PublicKey key = KeyFactory.getInstance("Ed25519")
          .generatePublic(new X509EncodedKeySpec(encoded));
      if (!"EdDSA".equals(key.getAlgorithm()) && !"Ed25519".equals(key.getAlgorithm())) {
        throw MinibitException.invalid("%s is not an Ed25519 key", field);
      }
      return key;
    } catch (GeneralSecurityException | RuntimeException e) {
      if (e instanceof MinibitException m) {
        throw m;
      }
      throw MinibitException.invalid("%s is not an Ed25519 public key in X.509 DER", field);
    }
  }
}
