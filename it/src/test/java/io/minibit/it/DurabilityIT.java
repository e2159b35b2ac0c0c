package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rename is durable only once its directory is synced: a power cut can otherwise lose a file's
 * new name after the daemon said it was done. This runs {@link DurabilityProbe} under strace and
 * reads, from the system calls themselves, that the finished download's new name and a record's
 * atomic write are each followed by an fsync of their directory.
 */
class DurabilityIT {
  private static final Pattern CALL = Pattern.compile(
      "^(?:\\d+\\s+)?(\\w+)\\((.*)\\)\\s+=\\s+(-?\\d+)");
  private static final Pattern UNFINISHED =
      Pattern.compile("^(\\d+)\\s+(.*) <unfinished \\.\\.\\.>$");
  private static final Pattern RESUMED =
      Pattern.compile("^(\\d+)\\s+<\\.\\.\\. \\w+ resumed>(.*)$");

  @TempDir Path root;

  /** One system call: its name, its arguments as strace printed them, and its result. */
  private record Call(String name, String args, long result) {}

  @Test
  void aFinishedDownloadsNameAndAnAtomicWriteAreFollowedByAnFsyncOfTheirDirectory()
      throws Exception {
    Path trace = root.resolve("trace.txt");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process probe = new ProcessBuilder("strace", "-f", "-qq", "-o", trace.toString(),
        "-e", "trace=open,openat,link,linkat,unlink,unlinkat,rename,renameat,renameat2,fsync,"
            + "fdatasync,close",
        java, "-cp", System.getProperty("java.class.path"), DurabilityProbe.class.getName(),
        root.toString())
        .redirectErrorStream(true).redirectOutput(root.resolve("probe.log").toFile()).start();
    assertTrue(probe.waitFor(2, TimeUnit.MINUTES), "the probe ran");
    assertEquals(0, probe.exitValue(), Files.readString(root.resolve("probe.log")));
    List<Call> calls = joinInterrupted(Files.readAllLines(trace)).stream().map(CALL::matcher)
        .filter(Matcher::find).map(m -> new Call(m.group(1), m.group(2),
            Long.parseLong(m.group(3)))).toList();

    Path downloads = root.resolve("downloads");
    int linked = first(calls, 0, c -> c.name().startsWith("link")
        && c.args().contains("\"" + downloads.resolve("data.bin") + "\"") && c.result() == 0);
    int unlinked = first(calls, linked, c -> c.name().startsWith("unlink")
        && c.args().contains(".part\"") && c.result() == 0);
    assertDirectorySyncedAfter(calls, unlinked, downloads);

    Path state = root.resolve("state");
    int renamed = first(calls, 0, c -> c.name().startsWith("rename")
        && c.args().contains("\"" + state.resolve("record") + "\"") && c.result() == 0);
    assertDirectorySyncedAfter(calls, renamed, state);
  }

  /**
   * strace's lines with a call another thread interrupted put back together: with -f, a call
   * cut by another thread's is written as "PID name(args <unfinished ...>" and later "PID <...
   * name resumed> rest", each on a line of its own, at the place the call ended.
   */
  private static List<String> joinInterrupted(List<String> lines) {
    Map<String, String> pending = new HashMap<>();
    List<String> joined = new java.util.ArrayList<>();
    for (String line : lines) {
      Matcher unfinished = UNFINISHED.matcher(line);
      Matcher resumed = RESUMED.matcher(line);
      if (unfinished.matches()) {
        pending.put(unfinished.group(1), unfinished.group(1) + " " + unfinished.group(2));
      } else if (resumed.matches() && pending.containsKey(resumed.group(1))) {
        joined.add(pending.remove(resumed.group(1)) + resumed.group(2));
      } else {
        joined.add(line);
      }
    }
    return joined;
  }

  /** The index of the first call from {@code from} on that matches; fails if there is none. */
  private static int first(List<Call> calls, int from, java.util.function.Predicate<Call> match) {
    for (int i = from; i < calls.size(); i++) {
      if (match.test(calls.get(i))) {
        return i;
      }
    }
    throw new AssertionError("no such call after #" + from + " in " + calls.size() + " calls");
  }

  /** Some fsync after call {@code after} is of a descriptor opened on {@code directory}. */
  private static void assertDirectorySyncedAfter(List<Call> calls, int after, Path directory) {
    Map<Long, String> open = new HashMap<>();
    for (int i = 0; i < calls.size(); i++) {
      Call call = calls.get(i);
      if (call.name().startsWith("open") && call.result() >= 0) {
        Matcher path = Pattern.compile("\"([^\"]*)\"").matcher(call.args());
        open.put(call.result(), path.find() ? path.group(1) : "");
      } else if (call.name().equals("close")) {
        open.remove(Long.parseLong(call.args().trim()));
      } else if (i > after && call.name().equals("fsync") && call.result() == 0
          && directory.toString().equals(open.get(Long.parseLong(call.args().trim())))) {
        return;
      }
    }
    throw new AssertionError("no fsync of " + directory + " after " + calls.get(after));
  }
}
