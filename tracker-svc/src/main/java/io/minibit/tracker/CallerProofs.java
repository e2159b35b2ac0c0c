package io.minibit.tracker;

import io.minibit.api.v2.Proof;
import io.minibit.api.v2.PublishRequest;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.grpc.ClientCertificate;
import io.minibit.core.identity.Signatures;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Tells who a caller is from what it proves: the publisher of a manifest (its TLS client
 * certificate, else the key whose proof signs the infohash), and that an announcing peer holds
 * the key its peer id derives from. A proof's signing time is checked against the injected
 * clock. Thread-safe: it holds no mutable state.
 */
final class CallerProofs {
  private final Clock clock;

  CallerProofs(Clock clock) {
    this.clock = clock;
  }

  /**
   * Who publishes: the caller's client certificate if it showed one, else the key whose proof
   * signs the manifest's infohash. UNAUTHENTICATED without either; INVALID_ARGUMENT or
   * UNAUTHENTICATED for a proof that does not hold.
   */
  Publisher publisher(PublishRequest request, Torrent torrent) {
    Optional<String> certificate = ClientCertificate.current();
    if (certificate.isPresent()) {
      return new Publisher(certificate.get());
    }
    if (!request.hasProof()) {
      throw new MinibitException(ErrorCode.UNAUTHENTICATED, "the publish of " + torrent
          + " is not signed: a publish carries a proof (the publisher's Ed25519 key and its"
          + " signature) unless it comes with a TLS client certificate; peers of this version"
          + " sign every publish: upgrade the one that sent it");
    }
    Signatures.Claim claim = claim(request.getProof());
    Signatures.verify("proof", claim,
        Signatures.publishMessage(torrent.infoHash(), claim.signedAt()), clock.instant());
    return Publisher.ofKey(Signatures.fingerprint(claim.publicKey()));
  }

  /** Checks that {@code proof} proves the caller holds the key {@code peerId} derives from. */
  void requirePeer(String peerId, Proof proof) {
    Signatures.Claim claim = claim(proof);
    Signatures.verify("proof", claim, Signatures.sessionMessage(peerId, claim.signedAt()),
        clock.instant());
    String provenId = Signatures.peerIdOf(claim.publicKey());
    if (!provenId.equals(peerId)) {
      throw new MinibitException(ErrorCode.UNAUTHENTICATED, String.format(
          "proof.public_key is the key of peer %s, not of peer_id %s: a peer announces under"
              + " the id its own key derives from", provenId, peerId));
    }
  }

  /** A proof as it arrived, its sizes checked (INVALID_ARGUMENT), its signature not yet. */
  private static Signatures.Claim claim(Proof proof) {
    Signatures.publicKey("proof.public_key", proof.getPublicKey().toByteArray());
    if (proof.getSignature().size() != Signatures.SIGNATURE_BYTES) {
      throw MinibitException.invalid("proof.signature has %d bytes; an Ed25519 signature has %d",
          proof.getSignature().size(), Signatures.SIGNATURE_BYTES);
    }
    return new Signatures.Claim(proof.getPublicKey().toByteArray(),
        Instant.ofEpochMilli(proof.getSignedAtMs()), proof.getSignature().toByteArray());
  }
}
