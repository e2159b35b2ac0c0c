package io.minibit.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A Dockerfile read as its instructions: comments dropped, continued lines joined, each
 * instruction split into its keyword (upper case) and its arguments (as written). A multi-stage
 * file is one Dockerfile too; {@link #image()} and {@link #stage} give its stages.
 */
record Dockerfile(Path path, List<Instruction> instructions) {

  record Instruction(String keyword, String arguments) {
    List<String> words() {
      return Arrays.stream(arguments.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }

    /** The value of a {@code --name=value} flag (COPY --from, for one), or null. */
    String flag(String name) {
      String prefix = "--" + name + "=";
      return words().stream().filter(w -> w.startsWith(prefix))
          .map(w -> w.substring(prefix.length())).findFirst().orElse(null);
    }

    /** A COPY's sources: its words but the flags and the destination. */
    List<String> sources() {
      List<String> operands = words().stream().filter(w -> !w.startsWith("--")).toList();
      return operands.subList(0, operands.size() - 1);
    }

    /** A COPY's destination. */
    String destination() {
      List<String> words = words();
      return words.get(words.size() - 1);
    }
  }

  static Dockerfile read(Path path) {
    List<Instruction> instructions = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    for (String line : DeployFiles.text(path).split("\n", -1)) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && pending.isEmpty())) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        pending.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      pending.append(trimmed);
      String whole = pending.toString().strip();
      pending.setLength(0);
      if (whole.isEmpty()) {
        continue;
      }
      int space = whole.indexOf(' ');
      instructions.add(space < 0
          ? new Instruction(whole.toUpperCase(Locale.ROOT), "")
          : new Instruction(whole.substring(0, space).toUpperCase(Locale.ROOT),
              whole.substring(space + 1).strip()));
    }
    return new Dockerfile(path, List.copyOf(instructions));
  }

  /** The image the file builds: its last stage, from that stage's FROM on. */
  Dockerfile image() {
    int from = 0;
    for (int i = 0; i < instructions.size(); i++) {
      if (instructions.get(i).keyword().equals("FROM")) {
        from = i;
      }
    }
    return new Dockerfile(path, instructions.subList(from, instructions.size()));
  }

  /** The stage that "FROM image AS {@code name}" starts, up to the next FROM. */
  Dockerfile stage(String name) {
    for (int i = 0; i < instructions.size(); i++) {
      List<String> words = instructions.get(i).words();
      if (instructions.get(i).keyword().equals("FROM") && words.size() == 3
          && words.get(1).equalsIgnoreCase("AS") && words.get(2).equals(name)) {
        int end = i + 1;
        while (end < instructions.size() && !instructions.get(end).keyword().equals("FROM")) {
          end++;
        }
        return new Dockerfile(path, instructions.subList(i, end));
      }
    }
    throw new AssertionError(path + ": no stage " + name);
  }

  List<Instruction> all(String keyword) {
    return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
  }

  /** The only instruction with {@code keyword}; fails if there is none or more than one. */
  Instruction one(String keyword) {
    List<Instruction> found = all(keyword);
    if (found.size() != 1) {
      throw new AssertionError(path + ": expected one " + keyword + ", found " + found.size());
    }
    return found.get(0);
  }

  /** The ports EXPOSE declares, as numbers. */
  List<Integer> exposedPorts() {
    return all("EXPOSE").stream().flatMap(i -> i.words().stream())
        .map(w -> Integer.parseInt(w.replace("/tcp", ""))).toList();
  }

  /** The value ENV gives {@code name} ("NAME=value" form, several on one line allowed). */
  String env(String name) {
    for (Instruction env : all("ENV")) {
      // Values with spaces are quoted; split on spaces outside quotes.
      for (String assignment : env.arguments().split("\\s+(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")) {
        int eq = assignment.indexOf('=');
        if (eq > 0 && assignment.substring(0, eq).equals(name)) {
          return assignment.substring(eq + 1).replace("\"", "");
        }
      }
    }
    throw new AssertionError(path + ": no ENV " + name);
  }
}
