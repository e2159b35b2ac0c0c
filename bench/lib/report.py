#!/usr/bin/env python3
"""Turns one benchmark run's directory into one line of JSON on stdout.

bench/run.sh leaves in a run directory a `facts` file (key=value lines) and, per host, a folder
hosts/NAME/ with what it recorded: `get.out`, `get.err`, `rc`, `end` (epoch seconds) and
`get.cpu` (CPU seconds, "USER SYSTEM") of a download, `sha256` of the copy,
`tx_before`/`tx_after` (eth0 byte counters), `cpu_before`/`cpu_after` (the daemon's CPU ticks),
`metrics_before.txt`/`metrics_after.txt` (its /metrics), `status.txt` (`minibit status`
output), and the same for aria2 (`aria2_*`). This script only reads them: the parsing and the
maths live here, the orchestration in bash.

Usage: report.py MODE RUN_DIR     (MODE: swarm, client-server, pair, memory, tracker-idle,
                                   capcheck, logs)
       report.py cpu-snapshot PID
       report.py http URL [BODY]  (GET, or POST of a JSON BODY; prints the answer)
       report.py seeded TORRENT   (exit 0 once the torrent's tracker counts a seeder)
       report.py infohash TORRENT (its info hash, in hex)
"""

import datetime
import hashlib
import json
import math
import pathlib
import re
import statistics
import sys
import urllib.parse
import urllib.request

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


def machine(run, prefix=""):
    """How busy the cores were (percent of all cores) during the measured transfer (or another
    span, whose facts start with PREFIX), and how much of it went to kernel threads and to
    processes that are not the benchmark's (someone else's build would distort the figures)."""
    out = {}
    for key in ("cpu_busy_pct", "cpu_kernel_pct", "cpu_other_pct"):
        if prefix + key in run.facts:
            out[prefix + key] = run.fact(prefix + key, int)
    return out


def r2(value):
    return None if value is None else round(value, 2)


def ns_per_byte(cpu_s, moved):
    """Nanoseconds of CPU per byte moved, or None."""
    return round(cpu_s * 1e9 / moved, 2) if cpu_s is not None and moved else None


def total(values):
    """The sum, or None if any is unknown."""
    return None if not values or any(v is None for v in values) else sum(values)


def minibit_cpu(run, leechers, received, seeder_sent):
    """CPU seconds of every MiniBit process during the measured transfer, and ns of CPU per
    byte: the leechers' daemons per byte they received (RECEIVED), the seeder's per byte it
    sent (SEEDER_SENT), and the tracker's, the CLIs' and all of them together per byte
    received (they move none themselves). The daemons' figures cover the clock's span; the
    CLIs' (`minibit get`, GNU time) their whole life, start included."""
    seeder = cpu_seconds(run, "seed")
    per_leecher = [cpu_seconds(run, h) for h in leechers]
    tracker = cpu_seconds(run, "tracker")
    clis = total([command_cpu(run, h, "get.cpu") for h in leechers])
    leechers_sum = total(per_leecher)
    everything = total([seeder, leechers_sum, tracker, clis])
    return {
        "cpu_s_seeder": r2(seeder),
        "cpu_s_leechers": r2(leechers_sum),
        "cpu_s_leechers_mean": r2(leechers_sum / len(leechers))
        if leechers_sum is not None else None,
        "cpu_s_tracker": r2(tracker),
        "cpu_s_clis": r2(clis),
        "cpu_s_minibit": r2(everything),
        "ns_per_byte_leechers": ns_per_byte(leechers_sum, received),
        "ns_per_byte_seeder": ns_per_byte(seeder, seeder_sent),
        "ns_per_byte_tracker": ns_per_byte(tracker, received),
        "ns_per_byte_clis": ns_per_byte(clis, received),
        "ns_per_byte_minibit": ns_per_byte(everything, received),
    }


# A daemon's log line starts with its time: ISO-8601 in UTC, to the millisecond.
LOG_TIME = r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z"
DOWNLOAD_STARTS = re.compile(LOG_TIME + r" INFO PeerDaemon: downloading bench\.bin ")


FULL_COPY_OUT = re.compile(
    LOG_TIME + r" INFO TorrentSession: bench\.bin \([0-9a-f]+\): every block uploaded")


def logged_at(run, host, pattern, t0):
    """Seconds from the common start to the first record of HOST's daemon log that matches
    PATTERN (whose first group is its time), or None."""
    log = run.path / "hosts" / host / "peer.log"
    if not log.exists():
        return None
    for line in log.read_text(errors="replace").splitlines():
        match = pattern.match(line)
        if match:
            at = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(
                tzinfo=datetime.timezone.utc).timestamp()
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
    """Which code ran (the tree's commit, +dirty, and when the peer jar was built), in daemons
    warmed up or cold, with the files on which filesystem."""
    out = {"commit": run.fact("commit", default="unknown"),
           "jar_built": run.fact("jars_built", default="unknown")}
    if "warmup_mb" in run.facts:
        out["warmup_mb"] = run.fact("warmup_mb", int)
        out["daemons"] = "warm" if out["warmup_mb"] > 0 else "cold"
    if "payload_fs" in run.facts:
        out["payload_fs"] = run.fact("payload_fs")
    if "aot_cache" in run.facts:
        out["aot_cache"] = run.fact("aot_cache") == "true"
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
    seeder_sent = seed_status[1] if seed_status else seed_tx
    out.update(minibit_cpu(run, leechers, n * size, seeder_sent))
    out.update(fetch_calls(run, leechers, size))
    out["cli_start_s"] = run.fact("cli_start_s", float)
    out.update(log_counts(run))
    out.update(machine(run))
    reference, reference_failures = aria2_swarm(run, leechers, size, t_min)
    if reference:
        out.update(reference)
        failures += reference_failures
        out["slowest_vs_aria2"] = ratio(slowest, reference["aria2_slowest"])
        out["cpu_vs_aria2"] = ratio(out["cpu_s_minibit"], reference["aria2_cpu_s_all"])
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
    out.update(log_counts(run))
    out.update(machine(run))
    out["ok"] = not failures
    if failures:
        out["failures"] = failures
    out.update(provenance(run))
    return out


def tx_delta(run, host):
    before, after = run.host_file(host, "tx_before"), run.host_file(host, "tx_after")
    return int(after) - int(before) if before and after else None


def cap_drop_pct(run, hosts, before_file="cap_before", after_file="cap_after"):
    """Share of the packets the upload caps of `hosts` were given that they dropped, between
    the counts in `before_file` and `after_file`, or None."""
    sent = dropped = 0
    for host in hosts:
        before, after = run.host_file(host, before_file), run.host_file(host, after_file)
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
    seed_status = status_row(run.host_file("seed", "status.txt", ""), run.fact("infohash"))
    seeder_sent = seed_status[1] if seed_status else tx_delta(run, "seed")
    out.update(minibit_cpu(run, ["l01"], size, seeder_sent))
    out.update(fetch_calls(run, ["l01"], size))
    out.update(log_counts(run))
    out.update(machine(run))
    reference, reference_failures = aria2_pair(run, size)
    if reference:
        out.update(reference)
        failures += reference_failures
        out["mb_s_vs_aria2"] = ratio(out.get("minibit_mb_s"), reference["aria2_mb_s"])
        out["cpu_vs_aria2"] = ratio(out["cpu_s_minibit"], reference["aria2_cpu_s_all"])
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
    out.update(log_counts(run))
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


LOG_LEVEL = re.compile(LOG_TIME + r" (WARNING|SEVERE) (.*)$")


def log_records(run):
    """[(host, level, message)] of the WARNING and SEVERE records in the daemons' logs."""
    records = []
    for log in sorted((run.path / "hosts").glob("*/*.log")):
        for line in log.read_text(errors="replace").splitlines():
            match = LOG_LEVEL.match(line)
            if match:
                records.append((log.parent.name, match.group(2), match.group(3)))
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


def cpu_seconds(run, host, before="cpu_before", after="cpu_after"):
    """CPU seconds the host's process used between two readings (by default the daemon's over
    the measured transfer; BEFORE None: since it started), or None."""
    first = run.host_file(host, before) if before else "0"
    last = run.host_file(host, after)
    if not first or not last:
        return None
    return (int(last) - int(first)) / run.fact("clk_tck", int, 100)


def command_cpu(run, host, name):
    """User + system CPU seconds that GNU time recorded for a host's command ("USER SYSTEM"),
    or None."""
    for line in reversed((run.host_file(host, name) or "").splitlines()):
        parts = line.split()
        if len(parts) == 2:
            try:
                return float(parts[0]) + float(parts[1])
            except ValueError:
                continue
    return None


def ratio(value, reference):
    return round(value / reference, 3) if value is not None and reference else None


METRIC_LINE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
METRIC_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')
FETCH_CALLS = "minibit_peer_fetch_calls_total"
BLOCKS_VERIFIED = "minibit_peer_blocks_verified_total"
BLOCK_SIZE = 256 * 1024  # MiniBit's default (Torrent.DEFAULT_BLOCK_SIZE): the bench's files


def counter(text, name, infohash, by=None):
    """{value of label BY: sum} of the samples of counter NAME in Prometheus text that belong
    to the torrent INFOHASH (all of them if the counter has no infohash label); {} if none."""
    sums = {}
    for line in (text or "").splitlines():
        match = METRIC_LINE.match(line)
        if not match or match.group(1) != name:
            continue
        labels = dict(METRIC_LABEL.findall(match.group(2) or ""))
        if labels.get("infohash", infohash) != infohash:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        key = labels.get(by, "") if by else ""
        sums[key] = sums.get(key, 0.0) + value
    return sums


def fetch_calls(run, leechers, size):
    """The GetBlocks calls the leechers' daemons made during the measured transfer, by outcome
    (their /metrics before and after it: minibit_peer_fetch_calls_total), and per block they
    received (minibit_peer_blocks_verified_total of the file, else N x its block count).
    None where a daemon does not count its calls."""
    out = {"fetch_calls": None, "calls_per_block": None, "cancelled_calls_pct": None}
    infohash = run.fact("infohash")
    calls, blocks = {}, 0
    for host in leechers:
        before = run.host_file(host, "metrics_before.txt")
        after = run.host_file(host, "metrics_after.txt")
        ended = counter(after, FETCH_CALLS, infohash, "outcome")
        if before is None or not ended:
            return out
        started = counter(before, FETCH_CALLS, infohash, "outcome")
        for outcome, value in ended.items():
            calls[outcome] = calls.get(outcome, 0) + int(value - started.get(outcome, 0))
        verified = counter(after, BLOCKS_VERIFIED, infohash).get("")
        if verified is None:
            blocks += math.ceil(size / BLOCK_SIZE)
        else:
            blocks += int(verified - counter(before, BLOCKS_VERIFIED, infohash).get("", 0))
    made = sum(calls.values())
    out["fetch_calls"] = dict(sorted(calls.items()))
    out["calls_per_block"] = round(made / blocks, 3) if blocks else None
    out["cancelled_calls_pct"] = round(100 * calls.get("cancelled", 0) / made, 1) if made else None
    return out


def aria2_uploaded(run, host):
    """Bytes aria2c on HOST uploaded, from its JSON-RPC answer (tellActive), or None."""
    text = run.host_file(host, "aria2_status.json")
    if not text:
        return None
    try:
        return sum(int(d["uploadLength"]) for d in json.loads(text)["result"])
    except (ValueError, KeyError, TypeError):
        return None


def aria2_copies_failures(run, hosts, key):
    """The failures of aria2's copies: a host whose KEY file (its end) is missing, or whose copy
    does not match the original."""
    original = run.fact("sha256")
    failures = []
    for host in hosts:
        copy = run.host_file(host, "aria2_sha256")
        if not run.host_file(host, key):
            failures.append({"host": host, "aria2": "incomplete"})
        elif copy != original:
            failures.append({"host": host, "aria2_sha256": "mismatch" if copy else "missing"})
    return failures


def aria2_common(run, leechers_cpu, leechers_received):
    """The CPU figures of an aria2 run: the leechers' (LEECHERS_CPU, per byte they received),
    the seeder's (per byte it uploaded) and opentracker's over the same span, all together."""
    seeder = cpu_seconds(run, "seed", "aria2_cpu_before", "aria2_cpu_after")
    tracker = cpu_seconds(run, "tracker", "aria2_cpu_before", "aria2_cpu_after")
    everything = total([leechers_cpu, seeder, tracker])
    sent = aria2_uploaded(run, "seed")
    return {
        "aria2_cpu_s_leechers": r2(leechers_cpu),
        "aria2_cpu_s_seeder": r2(seeder),
        "aria2_cpu_s_tracker": r2(tracker),
        "aria2_cpu_s_all": r2(everything),
        "aria2_ns_per_byte_leechers": ns_per_byte(leechers_cpu, leechers_received),
        "aria2_ns_per_byte_seeder": ns_per_byte(seeder, sent),
        "aria2_ns_per_byte_all": ns_per_byte(everything, leechers_received),
        "aria2_seeder_uploaded_bytes": sent,
        **machine(run, "aria2_"),
    }


def aria2_swarm(run, leechers, size, t_min):
    """aria2's figures on the swarm's hosts and caps, and its failures: each leecher's time from
    the common start to its completion hook, the slowest, its ratio to T_min, the CPU of the
    leechers (from their start to the slowest's completion), of the seeder and of opentracker
    over the same span, and what the seeder and the leechers uploaded. ({}, []) if it did not
    run."""
    if "aria2_t0" not in run.facts:
        return {}, []
    t0 = run.fact("aria2_t0", float)
    seconds = []
    for host in leechers:
        end = run.host_file(host, "aria2_end")
        seconds.append(round(float(end) - t0, 2) if end else None)
    done = [s for s in seconds if s is not None]
    slowest = max(done) if done else None
    per_leecher = [cpu_seconds(run, h, None, "aria2_cpu_after") for h in leechers]
    leechers_cpu = total(per_leecher)
    out = {
        "aria2_version": run.fact("aria2_version", default="unknown"),
        "aria2_seconds": seconds, "aria2_slowest": slowest,
        "aria2_mean": round(statistics.mean(done), 2) if done else None,
        "aria2_ratio": ratio(slowest, t_min),
    }
    out.update(aria2_common(run, leechers_cpu, len(leechers) * size))
    out["aria2_cpu_s_leechers_mean"] = r2(leechers_cpu / len(leechers)) \
        if leechers_cpu is not None else None
    if out["aria2_seeder_uploaded_bytes"] is not None:
        out["aria2_seeder_copies"] = round(out["aria2_seeder_uploaded_bytes"] / size, 2)
    out["aria2_leechers_uploaded_bytes"] = total([aria2_uploaded(run, h) for h in leechers])
    # The same caps' drops as MiniBit's run: how hard each client's TCP flows push the queues.
    out["aria2_seeder_cap_drop_pct"] = cap_drop_pct(run, ["seed"], "cap_aria2_before",
                                                    "cap_aria2_after")
    out["aria2_leechers_cap_drop_pct"] = cap_drop_pct(run, leechers, "cap_aria2_before",
                                                      "cap_aria2_after")
    return out, aria2_copies_failures(run, leechers, "aria2_end")


def aria2_pair(run, size):
    """aria2's figures between the pair's hosts, and its failures: the whole aria2c run (start
    to exit) in seconds and MB/s, the same up to its completion hook, its CPU per byte
    received, and the seeder's per byte sent.
    ({}, []) if it did not run."""
    if "aria2_t0" not in run.facts:
        return {}, []
    t0 = run.fact("aria2_t0", float)
    seconds = float(run.host_file("l01", "aria2_end")) - t0
    out = {
        "aria2_version": run.fact("aria2_version", default="unknown"),
        "aria2_seconds": round(seconds, 2),
        "aria2_mb_s": round(size / seconds / 1e6, 1),
    }
    complete = run.host_file("l01", "aria2_complete")
    if complete:
        out["aria2_complete_seconds"] = round(float(complete) - t0, 2)
        out["aria2_complete_mb_s"] = round(size / (float(complete) - t0) / 1e6, 1)
    out.update(aria2_common(run, command_cpu(run, "l01", "aria2.cpu"), size))
    failures = []
    if run.fact("aria2_rc", int) != 0:
        failures.append({"host": "l01", "aria2_exit": run.fact("aria2_rc", int)})
    else:
        failures = aria2_copies_failures(run, ["l01"], "aria2_end")
    return out, failures


def tracker_idle(run):
    """The idle swarm: the CPU the tracker and the daemons used while the peers only
    heartbeat, per minute, after every leecher fetched the file."""
    n = run.fact("n", int)
    size = run.fact("file_bytes", int)
    leechers = run.hosts("leechers")
    seconds, failures = downloads(run, leechers, run.fact("t0", float))
    done = [s for s in seconds if s is not None]
    window = run.fact("idle_end", float) - run.fact("idle_t0", float)

    def per_minute(host):
        used = cpu_seconds(run, host, "idle_cpu_before", "idle_cpu_after")
        return None if used is None else used * 60 / window

    tracker = cpu_seconds(run, "tracker", "idle_cpu_before", "idle_cpu_after")
    leechers_sum = total([per_minute(h) for h in leechers])
    seeder = per_minute("seed")
    out = {
        "mode": "tracker-idle", "n": n, "file_bytes": size,
        "seconds": seconds, "slowest": max(done) if done else None,
        "idle_s": round(window, 1),
        "tracker_cpu_s": r2(tracker),
        "tracker_cpu_s_per_min": r2(per_minute("tracker")),
        "seeder_cpu_s_per_min": r2(seeder),
        "leechers_cpu_s_per_min": r2(leechers_sum),
        "leechers_cpu_s_per_min_mean": r2(leechers_sum / n) if leechers_sum is not None
        else None,
        "daemons_cpu_s_per_min": r2(total([seeder, leechers_sum])),
        # "NAME:TICKS ..." for each of the tracker's threads that used CPU in the window.
        "idle_tracker_threads": run.fact("idle_tracker_threads", default=""),
        **machine(run, "idle_"),
    }
    out.update(log_counts(run))
    out.update(machine(run))
    out["ok"] = not failures
    if failures:
        out["failures"] = failures
    out.update(provenance(run))
    return out


BENCODE_INT = re.compile(rb"i(-?\d+)e")
BENCODE_LEN = re.compile(rb"(\d+):")


def bdecode(data, at=0):
    """(value, end) of the bencoded value at DATA[AT:]; dictionaries keep each value's raw
    span under (key, "raw") so the info dictionary's hash can be taken."""
    kind = data[at:at + 1]
    if kind == b"i":
        match = BENCODE_INT.match(data, at)
        return int(match.group(1)), match.end()
    if kind == b"l":
        items, at = [], at + 1
        while data[at:at + 1] != b"e":
            item, at = bdecode(data, at)
            items.append(item)
        return items, at + 1
    if kind == b"d":
        items, at = {}, at + 1
        while data[at:at + 1] != b"e":
            key, at = bdecode(data, at)
            start = at
            items[key], at = bdecode(data, at)
            items[(key, "raw")] = data[start:at]
        return items, at + 1
    match = BENCODE_LEN.match(data, at)
    end = match.end() + int(match.group(1))
    return data[match.end():end], end


def torrent_of(path):
    """(the torrent file's dictionary, its info hash)."""
    torrent, _ = bdecode(pathlib.Path(path).read_bytes())
    return torrent, hashlib.sha1(torrent[(b"info", "raw")]).digest()


def seeded(torrent_path):
    """0 if the torrent's tracker (its announce URL, scraped) counts a seeder, else 1."""
    torrent, info_hash = torrent_of(torrent_path)
    scrape = torrent[b"announce"].decode().replace("/announce", "/scrape")
    url = scrape + "?info_hash=" + urllib.parse.quote_from_bytes(info_hash)
    with urllib.request.urlopen(url, timeout=5) as answer:
        reply, _ = bdecode(answer.read())
    files = reply.get(b"files", {})
    return 0 if files.get(info_hash, {}).get(b"complete", 0) >= 1 else 1


def http(url, body=None):
    """The answer to a GET (or a POST of the JSON BODY) of URL, on stdout."""
    request = urllib.request.Request(url, data=body.encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        sys.stdout.write(answer.read().decode(errors="replace"))


MODES = {"swarm": swarm, "client-server": client_server, "pair": pair, "memory": memory,
         "tracker-idle": tracker_idle, "capcheck": capcheck, "logs": logs}


def main(argv):
    if len(argv) == 3 and argv[1] == "cpu-snapshot":
        cpu_snapshot(int(argv[2]))
        return 0
    if len(argv) in (3, 4) and argv[1] == "http":
        http(*argv[2:])
        return 0
    if len(argv) == 3 and argv[1] == "seeded":
        return seeded(argv[2])
    if len(argv) == 3 and argv[1] == "infohash":
        print(torrent_of(argv[2])[1].hex())
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
