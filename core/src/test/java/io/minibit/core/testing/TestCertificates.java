package io.minibit.core.testing;

import io.minibit.core.grpc.MutualTls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made for a test by the {@code openssl} command: a CA (a "swarm") and certificates
 * it signs for nodes on loopback (subjectAltName 127.0.0.1 and localhost), with keys in the
 * PKCS#8 PEM form MiniBit reads. Files go under the directory given; nothing else is touched.
 */
public final class TestCertificates {
  private final Path dir;
  private final Path caCert;
  private final Path caKey;

  private TestCertificates(Path dir) {
    this.dir = dir;
    this.caCert = dir.resolve("ca.pem");
    this.caKey = dir.resolve("ca.key");
  }

  /** A new CA named {@code name}, its files in {@code parent/name}. */
  public static TestCertificates newCa(Path parent, String name) throws IOException {
    TestCertificates ca = new TestCertificates(Files.createDirectories(parent.resolve(name)));
    openssl(ca.dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", ca.caKey.toString(), "-out", ca.caCert.toString(), "-days", "2",
        "-subj", "/CN=" + name);
    return ca;
  }

  public Path caCertificate() {
    return caCert;
  }

  /** A certificate for node {@code name}, signed by this CA, with the CA as what it trusts. */
  public MutualTls issue(String name) throws IOException {
    Path key = dir.resolve(name + ".key");
    Path csr = dir.resolve(name + ".csr");
    Path cert = dir.resolve(name + ".pem");
    Path extensions = dir.resolve(name + ".ext");
    Files.writeString(extensions, String.join("\n",
        "basicConstraints=CA:FALSE",
        "keyUsage=digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth,clientAuth",
        "subjectAltName=IP:127.0.0.1,DNS:localhost", ""));
    openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + name);
    openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(),
        "-CAkey", caKey.toString(), "-CAcreateserial", "-out", cert.toString(), "-days", "2",
        "-extfile", extensions.toString());
    return new MutualTls(cert, key, caCert);
  }

  /** The flags that give a MiniBit process {@code tls}. */
  public static List<String> flags(MutualTls tls) {
    return List.of("--tls-cert", tls.certificate().toString(),
        "--tls-key", tls.privateKey().toString(), "--tls-ca", tls.trustedCa().toString());
  }

  private static void openssl(Path workDir, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    Path log = workDir.resolve("openssl.log");
    Process process = new ProcessBuilder(command).directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " failed:\n"
            + Files.readString(log, StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running openssl", e);
    }
  }
}
