package io.minibit.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A kustomization directory built as {@code kubectl kustomize} builds it, for the fields k8s/
 * uses: {@code resources} (files, and directories with a kustomization of their own),
 * {@code namespace}, {@code labels} (pairs, on the resources' own metadata) and {@code images}.
 * Any other field fails the build rather than being skipped, so a test never checks less than
 * what kubectl would apply; so do the layouts kustomize refuses (a file outside the
 * kustomization's directory, a base whose directory holds a kustomization being built, the same
 * resource twice). Every resource is then read with {@link StrictModel}.
 */
final class Kustomization {
  private static final Set<String> FIELDS =
      Set.of("apiVersion", "kind", "namespace", "labels", "resources", "images");
  /** The kinds k8s/ uses that belong to no namespace. */
  private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace");

  private Kustomization() {}

  /** The resources {@code kubectl apply -k dir} would apply, in the order kustomize lists them. */
  static List<HasMetadata> build(Path dir) {
    List<HasMetadata> resources = new ArrayList<>();
    for (ObjectNode manifest : accumulate(dir.toAbsolutePath().normalize(), new ArrayList<>())) {
      try {
        resources.add(StrictModel.parse(manifest));
      } catch (IllegalArgumentException e) {
        throw new AssertionError(dir + ": " + e.getMessage(), e);
      }
    }
    return resources;
  }

  private static List<ObjectNode> accumulate(Path dir, List<Path> building) {
    // kustomize: "cycle detected: candidate root ... contains visited root"
    for (Path root : building) {
      if (root.startsWith(dir)) {
        throw new AssertionError(dir + " contains " + root + ", which builds on it: kustomize "
            + "refuses a base whose directory holds its overlay");
      }
    }
    building.add(dir);
    JsonNode kustomization = DeployFiles.yaml(dir.resolve("kustomization.yaml"));
    kustomization.fieldNames().forEachRemaining(field -> {
      if (!FIELDS.contains(field)) {
        throw new AssertionError(dir + "/kustomization.yaml: " + field + " is not built here; "
            + "teach Kustomization it (kubectl kustomize shows what it does)");
      }
    });

    List<ObjectNode> resources = new ArrayList<>();
    for (JsonNode entry : kustomization.path("resources")) {
      Path resource = dir.resolve(entry.asText()).normalize();
      if (Files.isDirectory(resource)) {
        resources.addAll(accumulate(resource, new ArrayList<>(building)));
      } else if (resource.startsWith(dir)) {
        resources.addAll(documents(resource));
      } else {
        throw new AssertionError(dir + ": " + entry.asText() + " is outside the kustomization's "
            + "directory, which kustomize refuses to load");
      }
    }

    String namespace = kustomization.path("namespace").asText(null);
    for (JsonNode label : kustomization.path("labels")) {
      label.fieldNames().forEachRemaining(field -> {
        // includeSelectors and includeTemplates would reach selectors and pod templates too
        if (!field.equals("pairs")) {
          throw new AssertionError(dir + ": labels[]." + field + " is not built here");
        }
      });
    }
    for (ObjectNode resource : resources) {
      ObjectNode metadata = resource.withObjectProperty("metadata");
      if (namespace != null && !CLUSTER_SCOPED.contains(resource.path("kind").asText())) {
        metadata.put("namespace", namespace);
      }
      for (JsonNode label : kustomization.path("labels")) {
        label.path("pairs").fields().forEachRemaining(pair -> metadata
            .withObjectProperty("labels").put(pair.getKey(), pair.getValue().asText()));
      }
      for (JsonNode image : kustomization.path("images")) {
        setImage(resource, image, dir);
      }
    }

    Set<String> ids = new HashSet<>();
    for (ObjectNode resource : resources) {
      String id = resource.path("apiVersion").asText() + "/" + resource.path("kind").asText()
          + " " + resource.at("/metadata/namespace").asText() + "/"
          + resource.at("/metadata/name").asText();
      if (!ids.add(id)) {
        throw new AssertionError(dir + ": " + id + " twice");
      }
    }
    return resources;
  }

  /** An {@code images} entry applied to the containers of a resource's pod template. */
  private static void setImage(ObjectNode resource, JsonNode image, Path dir) {
    image.fieldNames().forEachRemaining(field -> {
      if (!Set.of("name", "newName", "newTag").contains(field)) {
        throw new AssertionError(dir + ": images[]." + field + " is not built here");
      }
    });
    JsonNode pod = resource.at("/spec/template/spec");
    for (String list : List.of("containers", "initContainers")) {
      for (JsonNode container : pod.path(list)) {
        String current = container.path("image").asText();
        String name = current.replaceFirst(":[^:/]+$", "");
        if (!name.equals(image.path("name").asText())) {
          continue;
        }
        String tag = current.length() > name.length() ? current.substring(name.length() + 1) : null;
        String newName = image.path("newName").asText(name);
        String newTag = image.path("newTag").asText(tag);
        ((ObjectNode) container).put("image", newTag == null ? newName : newName + ":" + newTag);
      }
    }
  }

  /** Every YAML document of a file (kustomize takes a file of several, split by "---"). */
  private static List<ObjectNode> documents(Path file) {
    List<ObjectNode> documents = new ArrayList<>();
    try (MappingIterator<JsonNode> it =
        DeployFiles.YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode document = it.next();
        if (document instanceof ObjectNode object && !object.isEmpty()) {
          documents.add(object);
        } else if (document != null && !document.isNull() && !document.isMissingNode()) {
          throw new AssertionError(file + ": a document that is not a manifest: " + document);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return documents;
  }
}
