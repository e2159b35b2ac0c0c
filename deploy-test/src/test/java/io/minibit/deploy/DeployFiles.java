package io.minibit.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The repository's deployment files, found from the {@code minibit.root} the build sets. */
final class DeployFiles {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private DeployFiles() {}

  static Path root() {
    return Path.of(System.getProperty("minibit.root", "..")).toAbsolutePath().normalize();
  }

  /** k8s/: what {@code kubectl apply -k k8s/} applies, the base and the overlays beside it. */
  static Path k8s() {
    return root().resolve("k8s");
  }

  /** k8s/base/: the manifests every deployment is made of. */
  static Path k8sBase() {
    return k8s().resolve("base");
  }

  /** Every YAML file directly in k8s/base/, sorted, kustomization.yaml included. */
  static List<Path> k8sFiles() {
    try (Stream<Path> files = Files.list(k8sBase())) {
      return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode yaml(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String text(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
