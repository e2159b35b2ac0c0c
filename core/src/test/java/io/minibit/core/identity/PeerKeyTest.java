package io.minibit.core.identity;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.Proof;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.Validation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerKeyTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00.123Z");
  private static final InfoHash HASH = InfoHash.parse("ab".repeat(32));

  @TempDir Path dir;

  @Test
  void theKeyIsKeptOwnerOnlyAndLoadsAsTheSamePeer() throws IOException {
    Path file = dir.resolve("state").resolve("peer.key");
    PeerKey created = PeerKey.loadOrCreate(file);

    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    PeerKey loaded = PeerKey.loadOrCreate(file);
    assertEquals(created, loaded);
    assertEquals(created.peerId(), loaded.peerId());
    try (var entries = Files.list(file.getParent())) {
      assertEquals(1, entries.count(), "no temporary file left beside the key");
    }
  }

  @Test
  void thePeerIdIsAValidIdDerivedFromThePublicKey() {
    PeerKey key = PeerKey.generate();

    assertTrue(key.peerId().matches("mb-[0-9a-f]{32}"), key.peerId());
    assertEquals(key.peerId(), Validation.requirePeerId("peer_id", key.peerId()));
    assertEquals(Signatures.peerIdOf(key.publicKey()), key.peerId());
    assertNotEquals(key.peerId(), PeerKey.generate().peerId());
  }

  @Test
  void aDamagedKeyFileIsRefusedNotReplaced() throws IOException {
    Path file = dir.resolve("peer.key");
    Files.writeString(file, "minibit peer key v1\npublic AAAA\nprivate AAAA\n");

    IOException e = assertThrows(IOException.class, () -> PeerKey.loadOrCreate(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertEquals("minibit peer key v1\npublic AAAA\nprivate AAAA\n", Files.readString(file));
  }

  @Test
  void halvesOfTwoKeysAreNotAPair() throws IOException {
    Path a = dir.resolve("a.key");
    Path b = dir.resolve("b.key");
    PeerKey.loadOrCreate(a);
    PeerKey.loadOrCreate(b);
    var linesA = Files.readAllLines(a, StandardCharsets.UTF_8);
    var linesB = Files.readAllLines(b, StandardCharsets.UTF_8);
    Path mixed = dir.resolve("mixed.key");
    Files.write(mixed, java.util.List.of(linesA.get(0), linesA.get(1), linesB.get(2)));

    IOException e = assertThrows(IOException.class, () -> PeerKey.load(mixed));
    assertTrue(e.getMessage().contains("not one pair"), e.getMessage());
  }

  @Test
  void aPublishProofVerifiesForItsInfohashOnly() {
    PeerKey key = PeerKey.generate();
    Proof proof = key.publishProof(HASH, NOW);

    Signatures.verify("proof", claim(proof), Signatures.publishMessage(HASH, NOW), NOW);
    InfoHash other = InfoHash.parse("cd".repeat(32));
    var e = assertFailsWith(ErrorCode.UNAUTHENTICATED, () -> Signatures.verify("proof",
        claim(proof), Signatures.publishMessage(other, NOW), NOW));
    assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
  }

  @Test
  void aSessionProofIsNoPublishProof() {
    PeerKey key = PeerKey.generate();
    Proof session = key.sessionProof(NOW);

    Signatures.verify("proof", claim(session), Signatures.sessionMessage(key.peerId(), NOW), NOW);
    assertFailsWith(ErrorCode.UNAUTHENTICATED, () -> Signatures.verify("proof", claim(session),
        Signatures.publishMessage(HASH, NOW), NOW));
    assertFailsWith(ErrorCode.UNAUTHENTICATED, () -> Signatures.verify("proof", claim(session),
        Signatures.sessionMessage(PeerKey.generate().peerId(), NOW), NOW));
  }

  @Test
  void aProofOutsideTheClockWindowIsRefused() {
    PeerKey key = PeerKey.generate();
    Proof proof = key.sessionProof(NOW);
    byte[] message = Signatures.sessionMessage(key.peerId(), NOW);

    Signatures.verify("proof", claim(proof), message, NOW.plus(Signatures.MAX_CLOCK_SKEW));
    Signatures.verify("proof", claim(proof), message, NOW.minus(Signatures.MAX_CLOCK_SKEW));
    var late = assertFailsWith(ErrorCode.UNAUTHENTICATED, () -> Signatures.verify("proof",
        claim(proof), message, NOW.plus(Signatures.MAX_CLOCK_SKEW).plusSeconds(1)));
    assertTrue(late.getMessage().contains("check the clocks"), late.getMessage());
    assertFailsWith(ErrorCode.UNAUTHENTICATED, () -> Signatures.verify("proof",
        claim(proof), message, NOW.minus(Signatures.MAX_CLOCK_SKEW).minusSeconds(1)));
  }

  @Test
  void malformedKeysAndSignaturesAreInvalidArguments() {
    PeerKey key = PeerKey.generate();
    Proof proof = key.sessionProof(NOW);
    byte[] message = Signatures.sessionMessage(key.peerId(), NOW);

    var shortKey = assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Signatures.verify("proof",
        new Signatures.Claim(new byte[3], NOW, proof.getSignature().toByteArray()), message, NOW));
    assertTrue(shortKey.getMessage().contains("proof.public_key has 3 bytes"),
        shortKey.getMessage());
    byte[] garbage = new byte[Signatures.PUBLIC_KEY_BYTES];
    garbage[0] = 7;
    var notDer = assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Signatures.verify("proof",
        new Signatures.Claim(garbage, NOW, proof.getSignature().toByteArray()), message, NOW));
    assertTrue(notDer.getMessage().contains("not an Ed25519 public key"), notDer.getMessage());
    var shortSignature = assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Signatures.verify(
        "proof", new Signatures.Claim(key.publicKey(), NOW, new byte[10]), message, NOW));
    assertTrue(shortSignature.getMessage().contains("proof.signature has 10 bytes"),
        shortSignature.getMessage());
    byte[] flipped = proof.getSignature().toByteArray();
    flipped[5] ^= 1;
    assertFailsWith(ErrorCode.UNAUTHENTICATED, () -> Signatures.verify("proof",
        new Signatures.Claim(key.publicKey(), NOW, flipped), message, NOW));
  }

  private static Signatures.Claim claim(Proof proof) {
    return new Signatures.Claim(proof.getPublicKey().toByteArray(),
        Instant.ofEpochMilli(proof.getSignedAtMs()), proof.getSignature().toByteArray());
  }
}
