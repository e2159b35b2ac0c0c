#!/usr/bin/env python3
"""Turns one benchmark run's directory into one line of JSON on stdout.

bench/run.sh leaves in a run directory a `facts` file (key=value lines) and, per host, a folder
hosts/NAME/ with what it recorded: `get.out`, `get.err`, `rc`, `end` (epoch seconds) of a
download, `sha256` of the copy, `tx_before`/`tx_after` (eth0 byte counters) and `status.txt`
(`minibit status` output). This script only reads them: the parsing and the maths live here,
the orchestration in bash.

Usage: report.py MODE RUN_DIR     (MODE: swarm, client-server, pair, memory, capcheck, logs)
       report.py cpu-snapshot PID
"""

import datetime
import json
import pathlib
import re
import statistics
import sys

UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "TiB": 1024 ** 4}
FROM_LINE = re.compile(r"^\s*from (\S+)\s+(\d+) blocks")
GOT_LINE = re.compile(r"^got .*: .* in (\d+(?:\.\d+)? ms|\d+(?:\.\d+)? s|\d+m \d+s|\d+h \d+m) \(")
DURATION = re.compile(r"^(?:(\d+)h )?(?:(\d+)m ?)?(?:(\d+(?:\.\d+)?) ?s)?$")
# The measured file is always bench.bin (a warm-up download before it has another name).
VERIFIED_IN = re.compile(
    r" INFO TorrentSession: bench\.bin \(.* complete and verified in (\d+(?:\.\d+)?) s")


class Run:
    """A run directory: its facts and its hosts' files."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.facts = {}
        for line in (self.path / "facts").read_text().splitlines():
            key, _, value = line.partition("=")
            self.facts[key] = value

    def fact(self, key, kind=str, default=None):
        if key not in self.facts:
            if default is not None:
                return default
            raise KeyError(f"{self.path}/facts has no {key}")
        return kind(self.facts[key])

    def host_file(self, host, name, default=None):
        path = self.path / "hosts" / host / name
        return path.read_text().strip() if path.exists() else default

    def hosts(self, key):
        return self.fact(key, default="").split()


def human_bytes(value, unit):
    """'512.0', 'MiB' -> bytes, as minibit status prints them (0.1 unit precision)."""
    return int(round(float(value) * UNITS[unit]))


def status_row(text, infohash):
    """DOWN and UP bytes of the transfer's row in `minibit status` output, or None."""
    for line in text.splitlines():
        tokens = line.split()
        if tokens and infohash.startswith(tokens[0]) and len(tokens) >= 9:
            # ... DOWN (2 tokens) UP (2 tokens) PEERS: read from the right, since RATE is one
            # token ("-") or two ("1.2 MB/s").
            down = human_bytes(tokens[-5], tokens[-4])
            up = human_bytes(tokens[-3], tokens[-2])
            return down, up
    return None


def sources(get_err):
    """{address: blocks} from the summary `minibit get` prints when it is done."""
    found = {}
    for line in (get_err or "").splitlines():
        match = FROM_LINE.match(line)
        if match:
            found[match.group(1)] = found.get(match.group(1), 0) + int(match.group(2))
    return found


def parse_duration(text):
    """Seconds in one of the CLI's durations: "850 ms", "5.2 s", "3m 05s", "2h 03m"."""
    if text.endswith(" ms"):
        return float(text[:-3]) / 1000
    match = DURATION.match(text)
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def daemon_seconds(run, host):
    """The download time the daemon reports: its log's "complete and verified in 68.7 s", or the
    `got NAME: SIZE in 1m 09s` line of `minibit get`; None if neither is there."""
    log = run.path / "hosts" / host / "peer.log"
    if log.exists():
        for line in log.read_text(errors="replace").splitlines():
            match = VERIFIED_IN.search(line)
            if match:
                return float(match.group(1))
    for line in (run.host_file(host, "get.err") or "").splitlines():
        match = GOT_LINE.match(line)
        if match:
            return parse_duration(match.group(1))
    return None


def machine(run):
    """The daemons' warning and error counts, and how busy the cores were (percent of all
    cores) just before and during the measured transfer, and how much of it went to processes
    that are not the benchmark's (someone else's build would distort the figures)."""
    out = log_counts(run)
    for key in ("cpu_busy_before_pct", "cpu_busy_pct", "cpu_kernel_pct", "cpu_other_pct"):
        if key in run.facts:
            out[key] = run.fact(key, int)
    return out


def daemon_cpu(run, leechers):
    """CPU seconds of the seeder, of the leechers (mean) and of the tracker while it ran."""
    out = {"cpu_s_seeder": cpu_seconds(run, "seed")}
    per_leecher = [cpu_seconds(run, h) for h in leechers]
    per_leecher = [c for c in per_leecher if c is not None]
    if per_leecher:
        out["cpu_s_leechers_mean"] = round(statistics.mean(per_leecher), 1)
    out["cpu_s_tracker"] = cpu_seconds(run, "tracker")
    return out


DOWNLOAD_STARTS = re.compile(
    r"^(\d\d):(\d\d):(\d\d\.\d+) INFO PeerDaemon: downloading bench\.bin ")


FULL_COPY_OUT = re.compile(
    r"^(\d\d):(\d\d):(\d\d\.\d+) INFO TorrentSession: bench\.bin \([0-9a-f]+\): "
    r"every block uploaded")


def logged_at(run, host, pattern, t0):
    """Seconds from the common start to the first record of HOST's daemon log that matches
    PATTERN (whose first three groups are its hours, minutes and seconds), or None."""
    log = run.path / "hosts" / host / "peer.log"
    if not log.exists():
        return None
    midnight = datetime.datetime.fromtimestamp(t0).replace(hour=0, minute=0, second=0,
                                                           microsecond=0).timestamp()
    for line in log.read_text(errors="replace").splitlines():
        match = pattern.match(line)
        if match:
            at = midnight + int(match.group(1)) * 3600 + int(match.group(2)) * 60 \
                + float(match.group(3))
            if at < t0 - 43200:  # the log's clock went past midnight
                at += 86400
            return round(at - t0, 2)
    return None


def start_lag(run, host, t0):
    """Seconds from the common start to the daemon's "downloading" log record: what starting
    the CLI's JVM (and its call) cost before the daemon could begin, or None."""
    return logged_at(run, host, DOWNLOAD_STARTS, t0)


def full_copy_out(run, t0):
    """Seconds from the common start until the seeder had uploaded every block at least once:
    from then on its upload no longer limits the swarm, and what remains is the leechers'
    exchange of what they lack (the tail)."""
    return logged_at(run, "seed", FULL_COPY_OUT, t0)


def provenance(run):
    """Which code ran: the tree's commit (+dirty) and when the peer jar was built."""
    out = {"commit": run.fact("commit", default="unknown"),
           "jar_built": run.fact("jars_built", default="unknown")}
    if "warmup_mb" in run.facts:
        out["warmup_mb"] = run.fact("warmup_mb", int)
    if run.facts.get("peer_args"):
        out["peer_args"] = run.facts["peer_args"]
    return out


def downloads(run, hosts, t0):
    """Per host: seconds from the common start to the command's exit, exit code, copy OK."""
    original = run.fact("sha256")
    seconds, failures = [], []
    for host in hosts:
        rc = int(run.host_file(host, "rc", "-1"))
        end = run.host_file(host, "end")
        seconds.append(round(float(end) - t0, 2) if end else None)
        copy = run.host_file(host, "sha256")
        if rc != 0:
            failures.append({"host": host, "exit": rc})
        elif copy != original:
            failures.append({"host": host, "sha256": "mismatch" if copy else "missing"})
    return seconds, failures


def swarm(run):
    n = run.fact("n", int)
    size = run.fact("file_bytes", int)
    cap = run.fact("cap_mbit", float)
    u = cap * 1e6 / 8
    t_min = max(size / u, n * size / (u + n * u))
    t0 = run.fact("t0", float)
    leechers = run.hosts("leechers")
    seconds, failures = downloads(run, leechers, t0)
    done = [s for s in seconds if s is not None]
    slowest = max(done) if done else None
    out = {
        "mode": "swarm", "n": n, "file_bytes": size, "cap_mbit": cap,
        "seconds": seconds, "slowest": slowest,
        "mean": round(statistics.mean(done), 2) if done else None,
        "t_min": round(t_min, 2),
        "ratio": round(slowest / t_min, 3) if slowest else None,
    }
    infohash = run.fact("infohash")
    seed_status = status_row(run.host_file("seed", "status.txt", ""), infohash)
    if seed_status:
        out["seeder_uploaded_bytes"] = seed_status[1]
        out["seeder_copies"] = round(seed_status[1] / size, 2)
    seed_tx = tx_delta(run, "seed")
    if seed_tx is not None:
        out["seeder_tx_bytes"] = seed_tx
    if seed_tx is not None and slowest:
        out["seeder_uplink_use_pct"] = round(100 * seed_tx / (u * slowest), 1)
    leecher_tx = [tx_delta(run, h) for h in leechers]
    if slowest and all(t is not None for t in leecher_tx):
        out["leechers_uplink_use_pct"] = round(100 * sum(leecher_tx) / (n * u * slowest), 1)
    uploaded, downloaded = 0, 0
    for host in leechers:
        row = status_row(run.host_file(host, "status.txt", ""), infohash)
        if row:
            downloaded += row[0]
            uploaded += row[1]
    out["leechers_uploaded_bytes"] = uploaded
    out["downloaded_over_needed"] = round(downloaded / (n * size), 3)
    # Blocks a sender handed to gRPC that no downloader received (DOWN counts every block that
    # arrived, duplicates included): dropped from its queues when the downloader cancelled the
    # call, or sent and discarded on arrival for the same reason.
    sent = uploaded + (seed_status[1] if seed_status else 0)
    if sent:
        out["uploaded_not_received_pct"] = round(100 * (sent - downloaded) / sent, 1)
    # Packets a cap refused because its queue was full. A refused packet never reached the wire:
    # the sender's TCP sends it again and slows down, which costs pace and CPU, not uplink.
    out["seeder_cap_drop_pct"] = cap_drop_pct(run, ["seed"])
    out["leechers_cap_drop_pct"] = cap_drop_pct(run, leechers)
    seed_address = run.fact("seed_address")
    from_seed = from_others = 0
    sources_per_leecher = []
    for host in leechers:
        found = sources(run.host_file(host, "get.err"))
        sources_per_leecher.append(len(found))
        for address, blocks in found.items():
            if address.split(":")[0] == seed_address:
                from_seed += blocks
            else:
                from_others += blocks
    if from_seed + from_others:
        out["blocks_from_seeder_pct"] = round(100 * from_seed / (from_seed + from_others), 1)
    out["sources_per_leecher"] = sources_per_leecher
    out["daemon_seconds"] = [daemon_seconds(run, h) for h in leechers]
    out["start_lag_s"] = [start_lag(run, h, t0) for h in leechers]
    full_copy = full_copy_out(run, t0)
    if full_copy is not None and slowest:
        out["seeder_full_copy_s"] = full_copy
        out["tail_s"] = round(slowest - full_copy, 2)
    out.update(daemon_cpu(run, leechers))
    out["cli_start_s"] = run.fact("cli_start_s", float)
    out.update(machine(run))
    out["ok"] = not failures
    if failures:
        out["failures"] = failures
    out.update(provenance(run))
    return out


def client_server(run):
    n = run.fact("n", int)
    size = run.fact("file_bytes", int)
    cap = run.fact("cap_mbit", float)
    u = cap * 1e6 / 8
    t_min = n * size / u
    t0 = run.fact("t0", float)
    seconds, failures = downloads(run, run.hosts("leechers"), t0)
    done = [s for s in seconds if s is not None]
    slowest = max(done) if done else None
    out = {
        "mode": "client-server", "n": n, "file_bytes": size, "cap_mbit": cap,
        "seconds": seconds, "slowest": slowest,
        "mean": round(statistics.mean(done), 2) if done else None,
        "t_min": round(t_min, 2),
        "ratio": round(slowest / t_min, 3) if slowest else None,
    }
    out.update(machine(run))
    out["ok"] = not failures
    if failures:
        out["failures"] = failures
    out.update(provenance(run))
    return out


def tx_delta(run, host):
    before, after = run.host_file(host, "tx_before"), run.host_file(host, "tx_after")
    return int(after) - int(before) if before and after else None


def cap_drop_pct(run, hosts):
    """Share of the packets the upload caps of `hosts` were given that they dropped, or None."""
    sent = dropped = 0
    for host in hosts:
        before, after = run.host_file(host, "cap_before"), run.host_file(host, "cap_after")
        if not before or not after:
            return None
        (sent0, dropped0), (sent1, dropped1) = (map(int, before.split()), map(int, after.split()))
        sent += sent1 - sent0
        dropped += dropped1 - dropped0
    return round(100 * dropped / (sent + dropped), 1) if sent + dropped else None


def pair(run):
    size = run.fact("file_bytes", int)
    t0 = run.fact("t0", float)
    (mb_seconds,), failures = downloads(run, ["l01"], t0)
    raw_t0 = run.fact("raw_t0", float)
    raw_end = run.fact("raw_end", float)
    raw_seconds = raw_end - raw_t0
    if run.fact("raw_rc", int) != 0:
        failures.append({"host": "l01", "raw_exit": run.fact("raw_rc", int)})
    elif run.fact("raw_sha256") != run.fact("sha256"):
        failures.append({"host": "l01", "raw_sha256": "mismatch"})
    out = {"mode": "pair", "file_bytes": size}
    if mb_seconds:
        out["minibit_seconds"] = mb_seconds
        out["minibit_mb_s"] = round(size / mb_seconds / 1e6, 1)
    daemon = daemon_seconds(run, "l01")
    if daemon:
        out["minibit_daemon_seconds"] = daemon
        out["minibit_daemon_mb_s"] = round(size / daemon / 1e6, 1)
    out["raw_seconds"] = round(raw_seconds, 2)
    out["raw_mb_s"] = round(size / raw_seconds / 1e6, 1)
    if mb_seconds:
        out["ratio"] = round(out["minibit_mb_s"] / out["raw_mb_s"], 3)
    out["start_lag_s"] = start_lag(run, "l01", t0)
    out["cli_start_s"] = run.fact("cli_start_s", float)
    out.update(daemon_cpu(run, ["l01"]))
    out.update(machine(run))
    out["ok"] = not failures
    if failures:
        out["failures"] = failures
    out.update(provenance(run))
    return out


def rss_samples(path):
    """[(epoch, rss, anon, file)] in bytes, from the sampler's lines."""
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 4:
            rows.append((float(parts[0]), *(int(p) * 1024 for p in parts[1:])))
    return rows


def jstat_samples(path):
    """[(heap used, heap committed, old generation used, young GCs, full GCs)], bytes and
    counts, from `jstat -gc` output."""
    header, rows = None, []
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if "EU" in parts:
            header = parts
            continue
        if header is None or len(parts) != len(header):
            continue
        try:
            value = dict(zip(header, (float(p) for p in parts)))
        except ValueError:
            continue
        used = sum(value.get(k, 0.0) for k in ("S0U", "S1U", "EU", "OU"))
        committed = sum(value.get(k, 0.0) for k in ("S0C", "S1C", "EC", "OC"))
        rows.append((int(used * 1024), int(committed * 1024), int(value.get("OU", 0) * 1024),
                     int(value.get("YGC", 0)), int(value.get("FGC", 0))))
    return rows


def memory(run):
    n = run.fact("n", int)
    size = run.fact("file_bytes", int)
    t0 = run.fact("t0", float)
    seconds, failures = downloads(run, run.hosts("leechers"), t0)
    done = [s for s in seconds if s is not None]
    rss = rss_samples(run.path / "rss.txt")
    heap = jstat_samples(run.path / "jstat.txt")
    idle = [r for r in rss if r[0] < run.fact("share_start", float)]
    out = {
        "mode": "memory", "n": n, "file_bytes": size, "cap_mbit": run.fact("cap_mbit", float),
        "seconds": seconds, "slowest": max(done) if done else None,
        "samples": len(rss),
        "rss_idle_bytes": idle[-1][1] if idle else None,
        "max_rss_bytes": max(r[1] for r in rss) if rss else None,
        "max_rss_anon_bytes": max(r[2] for r in rss) if rss else None,
        "max_rss_file_bytes": max(r[3] for r in rss) if rss else None,
        "heap_samples": len(heap),
        "max_heap_used_bytes": max(h[0] for h in heap) if heap else None,
        "max_heap_committed_bytes": max(h[1] for h in heap) if heap else None,
        "max_old_used_bytes": max(h[2] for h in heap) if heap else None,
        "young_gcs": heap[-1][3] - heap[0][3] if heap else None,
        "full_gcs": heap[-1][4] - heap[0][4] if heap else None,
        "heap_max_bytes": run.fact("heap_max_bytes", int),
        "seeder_java_opts": run.fact("seeder_java_opts"),
    }
    seed_status = status_row(run.host_file("seed", "status.txt", ""), run.fact("infohash"))
    if seed_status:
        out["seeder_uploaded_bytes"] = seed_status[1]
        out["seeder_copies"] = round(seed_status[1] / size, 2)
    out.update(machine(run))
    out["ok"] = not failures
    if failures:
        out["failures"] = failures
    out.update(provenance(run))
    return out


def capcheck(run):
    """Goodput of raw TCP through one capped uplink, and how steady the rate is over 0.5 s."""
    cap = run.fact("cap_mbit", float)
    size = run.fact("file_bytes", int)
    out = {"mode": "capcheck", "cap_mbit": cap, "tbf": run.fact("tbf")}
    for flows in (1, 8):
        t0 = run.fact(f"t0_{flows}", float)
        end = run.fact(f"end_{flows}", float)
        samples = []
        for line in (run.path / f"tx_{flows}.txt").read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                samples.append((float(parts[0]), int(parts[1])))
        # Only whole intervals at least 1 s away from either end: TCP's start and its tail.
        rates = [
            (b1 - b0) * 8 / (e1 - e0) / 1e6
            for (e0, b0), (e1, b1) in zip(samples, samples[1:])
            if e0 >= t0 + 1 and e1 <= end - 1
        ]
        out[f"flows_{flows}"] = {
            "goodput_mbit": round(flows * size * 8 / (end - t0) / 1e6, 2),
            "eth0_mbit_min": round(min(rates), 2) if rates else None,
            "eth0_mbit_max": round(max(rates), 2) if rates else None,
            "drops": run.fact(f"drops_{flows}", int),
        }
    return out


LOG_LEVEL = re.compile(r"^\d\d:\d\d:\d\d\.\d+ (WARNING|SEVERE) (.*)$")


def log_records(run):
    """[(host, level, message)] of the WARNING and SEVERE records in the daemons' logs."""
    records = []
    for log in sorted((run.path / "hosts").glob("*/*.log")):
        for line in log.read_text(errors="replace").splitlines():
            match = LOG_LEVEL.match(line)
            if match:
                records.append((log.parent.name, match.group(1), match.group(2)))
    return records


def log_counts(run):
    records = log_records(run)
    return {"log_warnings": sum(1 for r in records if r[1] == "WARNING"),
            "log_severe": sum(1 for r in records if r[1] == "SEVERE")}


def logs(run):
    """For people, on stderr: the distinct warnings and errors of the run, most frequent first."""
    counts = {}
    for host, level, message in log_records(run):
        key = (level, message[:160])
        hosts = counts.setdefault(key, {})
        hosts[host] = hosts.get(host, 0) + 1
    if not counts:
        return None
    print(f"logs of {run.path.name}: distinct warnings and errors", file=sys.stderr)
    ranked = sorted(counts.items(), key=lambda item: -sum(item[1].values()))
    for (level, message), hosts in ranked[:8]:
        where = ", ".join(f"{h} {c}" for h, c in sorted(hosts.items())[:6])
        more = " ..." if len(hosts) > 6 else ""
        print(f"  {sum(hosts.values()):5d} x {level} {message}  [{where}{more}]", file=sys.stderr)
    return None


def cpu_snapshot(root_pid):
    """CPU ticks consumed so far by process ROOT_PID's tree, by kernel threads and by every other
    process, as "OWN KERNEL OTHER" on stdout. Each live process counts its own time and that of
    the children it has reaped, so the sums over live processes only grow, and their difference
    between two snapshots is what ran meanwhile, whoever exited. Kernel threads (ksoftirqd, ...)
    are apart because they partly carry the benchmark's own network traffic."""
    parent, ticks = {}, {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        pid = int(stat.parent.name)
        parent[pid] = int(fields[1])
        ticks[pid] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    own = kernel = other = 0
    for pid, value in ticks.items():
        node = pid
        while node > 2 and node != root_pid:
            node = parent.get(node, 0)
        if node == root_pid:
            own += value
        elif pid == 2 or node == 2:
            kernel += value
        else:
            other += value
    print(own, kernel, other)


def cpu_seconds(run, host):
    """CPU seconds the host's daemon used during the measured transfer, or None."""
    before, after = run.host_file(host, "cpu_before"), run.host_file(host, "cpu_after")
    if not before or not after:
        return None
    return round((int(after) - int(before)) / run.fact("clk_tck", int, 100), 1)


MODES = {"swarm": swarm, "client-server": client_server, "pair": pair, "memory": memory,
         "capcheck": capcheck, "logs": logs}


def main(argv):
    if len(argv) == 3 and argv[1] == "cpu-snapshot":
        cpu_snapshot(int(argv[2]))
        return 0
    if len(argv) != 3 or argv[1] not in MODES:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    out = MODES[argv[1]](Run(argv[2]))
    if out is None:
        return 0
    print(json.dumps(out, separators=(", ", ": ")))
    return 1 if out.get("ok") is False else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
