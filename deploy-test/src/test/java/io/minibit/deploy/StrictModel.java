package io.minibit.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Kubernetes manifest into the fabric8 model classes, which are generated from the
 * Kubernetes API's OpenAPI schemas, and refuses what the API would: an unknown kind, a value of
 * the wrong type, and a field the schema does not have. The model classes keep unknown fields in
 * an "additionalProperties" map instead of failing, so every object of the parsed tree is walked
 * and any such field is reported with its path.
 */
final class StrictModel {
  /**
   * The kinds MiniBit's manifests use, by "apiVersion/kind". The monitoring.coreos.com ones are
   * the Prometheus Operator's custom resources, generated from its CRDs' schemas.
   */
  private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
      Map.entry("v1/Namespace", Namespace.class),
      Map.entry("v1/ConfigMap", ConfigMap.class),
      Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
      Map.entry("v1/Service", Service.class),
      Map.entry("apps/v1/Deployment", Deployment.class),
      Map.entry("apps/v1/DaemonSet", DaemonSet.class),
      Map.entry("apps/v1/StatefulSet", StatefulSet.class),
      Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
      Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
      Map.entry("monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class),
      Map.entry("monitoring.coreos.com/v1/PodMonitor", PodMonitor.class));

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .build();

  private StrictModel() {}

  /** The manifest as its model class; IllegalArgumentException says what the API would reject. */
  static HasMetadata parse(JsonNode manifest) {
    String key = manifest.path("apiVersion").asText() + "/" + manifest.path("kind").asText();
    Class<? extends HasMetadata> type = KINDS.get(key);
    if (type == null) {
      throw new IllegalArgumentException("unknown kind " + key);
    }
    HasMetadata resource;
    try {
      resource = MAPPER.treeToValue(manifest, type);
    } catch (Exception e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
    List<String> unknown = new ArrayList<>();
    walk(resource, key, unknown, new IdentityHashMap<>());
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("fields not in the " + key + " schema: " + unknown);
    }
    return resource;
  }

  private static void walk(Object node, String path, List<String> unknown,
      IdentityHashMap<Object, Boolean> seen) {
    if (node == null || seen.put(node, true) != null) {
      return;
    }
    if (node instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        walk(item, path + "[" + i++ + "]", unknown, seen);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walk(v, path + "." + k, unknown, seen));
      return;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.")) {
      return; // a string, a number, a boolean: a leaf
    }
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
        continue;
      }
      Object value;
      try {
        value = getter.invoke(node);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue; // not a plain property
      }
      String field = getter.getName().substring(3);
      if (field.equals("AdditionalProperties")) {
        if (value instanceof Map<?, ?> extra) {
          extra.keySet().forEach(name -> unknown.add(path + "." + name));
        }
      } else {
        walk(value, path + "." + Character.toLowerCase(field.charAt(0)) + field.substring(1),
            unknown, seen);
      }
    }
  }
}
