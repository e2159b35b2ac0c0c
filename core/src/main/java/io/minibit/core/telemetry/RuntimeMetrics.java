package io.minibit.core.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JVM's and the process's own figures, under the OpenTelemetry semantic conventions' names
 * (so the Prometheus names are {@code jvm_memory_used_bytes}, {@code jvm_cpu_time_seconds_total},
 * {@code process_resident_memory_bytes}, ...): memory by pool, garbage collections and their time,
 * threads, classes, CPU time, and the resident set. Read from the JVM's management beans when
 * scraped or exported, never in between.
 */
final class RuntimeMetrics {
  private static final AttributeKey<String> MEMORY_TYPE = AttributeKey.stringKey("jvm.memory.type");
  private static final AttributeKey<String> MEMORY_POOL =
      AttributeKey.stringKey("jvm.memory.pool.name");
  private static final AttributeKey<String> GC_NAME = AttributeKey.stringKey("jvm.gc.name");
  private static final Path STATUS = Path.of("/proc/self/status");

  private RuntimeMetrics() {}

  static void register(Meter meter) {
    List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans();
    meter.upDownCounterBuilder("jvm.memory.used").setUnit("By")
        .setDescription("Memory used, by pool").buildWithCallback(used -> pools.forEach(
            pool -> used.record(pool.getUsage().getUsed(), poolAttributes(pool))));
    meter.upDownCounterBuilder("jvm.memory.committed").setUnit("By")
        .setDescription("Memory committed, by pool").buildWithCallback(committed -> pools.forEach(
            pool -> committed.record(pool.getUsage().getCommitted(), poolAttributes(pool))));
    meter.upDownCounterBuilder("jvm.memory.limit").setUnit("By")
        .setDescription("The most memory a pool may use, where it has a limit")
        .buildWithCallback(limit -> pools.forEach(pool -> {
          MemoryUsage usage = pool.getUsage();
          if (usage.getMax() >= 0) {
            limit.record(usage.getMax(), poolAttributes(pool));
          }
        }));
    List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    meter.counterBuilder("jvm.gc.count").setUnit("{collection}")
        .setDescription("Garbage collections, by collector").buildWithCallback(count ->
            collectors.forEach(gc -> count.record(Math.max(0, gc.getCollectionCount()),
                Attributes.of(GC_NAME, gc.getName()))));
    meter.counterBuilder("jvm.gc.time").ofDoubles().setUnit("s")
        .setDescription("Time spent in garbage collections, by collector").buildWithCallback(
            time -> collectors.forEach(gc -> time.record(Math.max(0, gc.getCollectionTime())
                / 1000.0, Attributes.of(GC_NAME, gc.getName()))));
    var threads = ManagementFactory.getThreadMXBean();
    meter.upDownCounterBuilder("jvm.thread.count").setUnit("{thread}")
        .setDescription("Live threads").buildWithCallback(
            count -> count.record(threads.getThreadCount()));
    var classes = ManagementFactory.getClassLoadingMXBean();
    meter.upDownCounterBuilder("jvm.class.count").setUnit("{class}")
        .setDescription("Classes loaded now").buildWithCallback(
            count -> count.record(classes.getLoadedClassCount()));
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      meter.counterBuilder("jvm.cpu.time").ofDoubles().setUnit("s")
          .setDescription("CPU time the process used, all threads").buildWithCallback(
              time -> time.record(os.getProcessCpuTime() / 1e9));
    }
    if (Files.isReadable(STATUS)) {
      meter.upDownCounterBuilder("process.resident_memory").setUnit("By")
          .setDescription("Resident set size of the process").buildWithCallback(rss -> {
            long bytes = residentBytes();
            if (bytes >= 0) {
              rss.record(bytes);
            }
          });
    }
  }

  private static Attributes poolAttributes(MemoryPoolMXBean pool) {
    return Attributes.of(MEMORY_TYPE, pool.getType() == MemoryType.HEAP ? "heap" : "non_heap",
        MEMORY_POOL, pool.getName());
  }

  /** VmRSS of /proc/self/status, in bytes; -1 if it cannot be read. */
  static long residentBytes() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          String[] fields = line.trim().split("\\s+"); // "VmRSS:", "123456", "kB"
          return Long.parseLong(fields[1]) * 1024;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux, or not readable: no figure
    }
    return -1;
  }
}
