package io.minibit.deploy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.Map;

/**
 * Whether a label selector picks a set of labels, as the API server decides it: every
 * matchLabels pair and every matchExpressions requirement must hold; an empty selector picks
 * everything, a missing one nothing.
 */
final class LabelSelectors {
  private LabelSelectors() {}

  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    Map<String, String> actual = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> pair : selector.getMatchLabels().entrySet()) {
        if (!pair.getValue().equals(actual.get(pair.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
        String value = actual.get(requirement.getKey());
        boolean holds = switch (requirement.getOperator()) {
          case "In" -> value != null && requirement.getValues().contains(value);
          case "NotIn" -> value == null || !requirement.getValues().contains(value);
          case "Exists" -> value != null;
          case "DoesNotExist" -> value == null;
          default -> throw new AssertionError("no operator " + requirement.getOperator());
        };
        if (!holds) {
          return false;
        }
      }
    }
    return true;
  }
}
