package io.minibit.core.identity;

import com.google.protobuf.ByteString;
import io.minibit.api.v2.Proof;
import io.minibit.core.AtomicFiles;
import io.minibit.core.InfoHash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A peer's Ed25519 key pair: its peer id derives from the public key, and it signs the peer's
 * publishes and the announces that open its tracker sessions (see {@link Signatures}). Kept in
 * one file, readable by its owner only, so a peer keeps its id and its names across restarts.
 *
 * <p>The file is text: a first line {@value #HEADER}, then "public " and "private " lines with
 * the X.509 and PKCS#8 DER encodings in Base64.
 *
 * <p>Immutable and thread-safe.
 */
public final class PeerKey {
  static final String HEADER = "minibit peer key v1";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private final PrivateKey privateKey;
  private final byte[] publicKey;
  private final String peerId;

  private PeerKey(KeyPair pair) {
    this.privateKey = pair.getPrivate();
    this.publicKey = pair.getPublic().getEncoded();
    this.peerId = Signatures.peerIdOf(publicKey);
  }

  /** A new key pair, kept nowhere. */
  public static PeerKey generate() {
    try {
      return new PeerKey(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is missing from this JVM", e);
    }
  }

  /**
   * The key kept in {@code file}; if there is none, a new one, written there first (atomically,
   * mode 0600 where the file system has POSIX permissions). IOException if the file exists but
   * is not a key this class wrote, naming the file: a peer must not quietly take a new identity.
   */
  public static PeerKey loadOrCreate(Path file) throws IOException {
    if (Files.exists(file)) {
      return load(file);
    }
    PeerKey key = generate();
    Files.createDirectories(file.toAbsolutePath().getParent());
    // AtomicFiles' temporary file is created 0600 and renamed into place, so the key is never
    // readable by others, not even for a moment.
    AtomicFiles.write(file, key.encode());
    if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(file, OWNER_ONLY);
    }
    return key;
  }

  /** The key kept in {@code file}; IOException naming the file if it holds none. */
  public static PeerKey load(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    try {
      if (lines.size() < 3 || !lines.get(0).equals(HEADER) || !lines.get(1).startsWith("public ")
          || !lines.get(2).startsWith("private ")) {
        throw new IllegalArgumentException("not in the expected format");
      }
      KeyFactory factory = KeyFactory.getInstance("Ed25519");
      PublicKey pub = factory.generatePublic(new X509EncodedKeySpec(
          Base64.getDecoder().decode(lines.get(1).substring("public ".length()).trim())));
      PrivateKey priv = factory.generatePrivate(new PKCS8EncodedKeySpec(
          Base64.getDecoder().decode(lines.get(2).substring("private ".length()).trim())));
      PeerKey key = new PeerKey(new KeyPair(pub, priv));
      key.checkPair();
      return key;
    } catch (GeneralSecurityException | RuntimeException e) {
      // the reason is in the message, not chained: startup reports a chain's deepest message
      throw new IOException("the peer key " + file + " is damaged (" + e.getMessage()
          + "); restore it from a backup, or remove it to make a new one (the peer then gets a"
          + " new id and can no longer publish new versions of the names it owns)");
    }
  }

  /** This peer's id: "mb-" and 32 hex digits of the public key's SHA-256. */
  public String peerId() {
    return peerId;
  }

  /** The public key, X.509 DER. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** A proof, made at {@code now}, that this key publishes the manifest of {@code infoHash}. */
  public Proof publishProof(InfoHash infoHash, Instant now) {
    return proof(Signatures.publishMessage(infoHash, now), now);
  }

  /** A proof, made at {@code now}, that this key's holder opens a session as {@link #peerId}. */
  public Proof sessionProof(Instant now) {
    return proof(Signatures.sessionMessage(peerId, now), now);
  }

  /** Signs {@code message} with the private key. */
  public byte[] sign(byte[] message) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(privateKey);
      signer.update(message);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with Ed25519", e);
    }
  }

  private Proof proof(byte[] message, Instant now) {
    // Milliseconds on the wire: sign exactly what the verifier will rebuild from them.
    Instant signedAt = Instant.ofEpochMilli(now.toEpochMilli());
    return Proof.newBuilder()
        .setPublicKey(ByteString.copyFrom(publicKey))
        .setSignedAtMs(signedAt.toEpochMilli())
        .setSignature(ByteString.copyFrom(sign(message)))
        .build();
  }

  private byte[] encode() {
    Base64.Encoder base64 = Base64.getEncoder();
    return (HEADER + "\npublic " + base64.encodeToString(publicKey) + "\nprivate "
        + base64.encodeToString(privateKey.getEncoded()) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Throws if the two halves read from a file are not one pair. */
  private void checkPair() {
    byte[] probe = "minibit-key-check".getBytes(StandardCharsets.UTF_8);
    byte[] signature = sign(probe);
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(Signatures.publicKey("public key", publicKey));
      verifier.update(probe);
      if (!verifier.verify(signature)) {
        throw new IllegalArgumentException("its public and private keys are not one pair");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "PeerKey[" + peerId + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeerKey other && Arrays.equals(publicKey, other.publicKey);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(publicKey);
  }
}
