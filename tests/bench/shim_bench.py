#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# shim_bench.py -- the benchmark's scenarios against a live `slxrun shim serve`: warm latency, memory.
"""Usage:
  shim_bench.py latency SLXRUN ROOT BUNDLE CLIENT N WARMUP OUT
  shim_bench.py memory SLXRUN ROOT BUNDLE N OUT
  shim_bench.py memory-shared SLXRUN ROOT BUNDLE N OUT

latency: a shim with --min-warm 1 --max 2; WARMUP requests, then N timed ones from CLIENT
(invoke_client: one kept-alive connection); the per-request ms go to OUT.ms.
memory: a shim with --min-warm N --max N; once N sandboxes are idle, the PSS of every process in
their cgroups, the growth of /proc/meminfo's Slab, PageTables and KernelStack and the drop of its
MemAvailable since before the shim started (medians of a few readings); again once the pool has
frozen them.
memory-shared: the same with `shim serve --share-memory`, the kernel's same-page merging (KSM)
running for the measurement and scanning quickly (its settings restored after): the figures are
taken once KSM has scanned everything twice since the sandboxes went idle.
Either way the shim then gets SIGTERM and must exit 0 leaving no sandbox process, cgroup or socket.
OUT.json gets the figures and "status": "ok" or "failed: why" (the exit status is 0 either way,
so one broken scenario does not stop the others).
"""
import glob
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
MEMINFO_KEYS = ["MemAvailable", "Slab", "PageTables", "KernelStack"]
KSM = "/sys/kernel/mm/ksm/"
KSM_FAST = {"pages_to_scan": "5000", "sleep_millisecs": "20", "run": "1"}


class Failed(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def meminfo_once():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            if key in MEMINFO_KEYS:
                out[key] = int(value.split()[0])  # kB
    return out


def meminfo(samples=5, interval=0.1):
    """The median of a few readings per key (kB): the host is shared and never quite still."""
    reads = []
    for i in range(samples):
        if i:
            time.sleep(interval)
        reads.append(meminfo_once())
    return {k: statistics.median(r[k] for r in reads) for k in MEMINFO_KEYS}


def cgroup2_mounts():
    """Where cgroup2 is mounted (the bench's namespace: /sys/fs/cgroup; a hybrid host: .../unified)."""
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split(" - ")[1].split()[0] == "cgroup2"]


def cgroup_dir(sandbox_id):
    """The sandbox's cgroup directory (None if it has none)."""
    for root in cgroup2_mounts():
        for path in [os.path.join(root, "slxrun", sandbox_id)] + glob.glob(
                os.path.join(root, "**", sandbox_id), recursive=True):
            if os.path.isdir(path):
                return path
    return None


def cgroup_pids(path):
    try:
        with open(os.path.join(path, "cgroup.procs")) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def alive(pid):
    """True for a process that exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def ksm_read(name):
    with open(KSM + name) as f:
        return f.read().strip()


def ksm_write(name, value):
    with open(KSM + name, "w") as f:
        f.write(value)


def ksm_settled(timeout=120):
    """Wait until KSM has scanned every mergeable page twice from now."""
    start, deadline = int(ksm_read("full_scans")), time.monotonic() + timeout
    while int(ksm_read("full_scans")) < start + 2:
        if time.monotonic() > deadline:
            raise Failed("KSM did not finish two scans in %ds" % timeout)
        time.sleep(0.2)


class Shim:
    def __init__(self, slxrun, root, bundle, min_warm, max_, flags=()):
        self.root, self.port = root, free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(root, "shim.log"), "w+")
        self.proc = subprocess.Popen(
            [slxrun, "--root", root, "shim", "serve", "--no-auth", "--listen", "tcp:127.0.0.1:%d" % self.port,
             "--min-warm", str(min_warm), "--max", str(max_)] + list(flags) + [bundle],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.seen = {}  # sandbox id -> (cgroup dir, pids), for the cleanup check

    def url(self):
        return self.base + INVOKE_PATH

    def status(self):
        with urllib.request.urlopen(self.base + "/status", timeout=5) as r:
            return json.load(r)

    def log_tail(self):
        self.log.seek(0)
        lines = [l.strip() for l in self.log.read().splitlines() if l.strip()]
        return lines[-1] if lines else "no output"

    def wait_state(self, state, n, timeout):
        """Poll /status until n sandboxes are in state; their ids."""
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failed("shim exited %d: %s" % (self.proc.returncode, self.log_tail()))
            try:
                last = self.status()
                ids = [s["id"] for s in last["sandboxes"] if s["state"] == state]
                if len(ids) >= n:
                    return ids
            except OSError:
                pass
            time.sleep(0.05)
        states = [s["state"] for s in last["sandboxes"]] if last else "no /status answer"
        raise Failed("not %d sandboxes %s after %ds: %s" % (n, state, timeout, states))

    def remember(self, ids):
        for sid in ids:
            path = cgroup_dir(sid)
            self.seen[sid] = (path, cgroup_pids(path) if path else [])

    def stop(self):
        """SIGTERM; then the shim must have exited 0 and left nothing. Raises Failed."""
        try:
            self.remember(s["id"] for s in self.status()["sandboxes"])
        except OSError:
            pass
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failed("shim still running 20 s after SIGTERM")
        left = []
        for sid, (path, pids) in self.seen.items():
            if path and os.path.exists(path):
                left.append("cgroup " + path)
            left += ["pid %d of %s" % (p, sid) for p in pids if alive(p)]
        left += glob.glob(os.path.join(self.root, "shims", "*"))
        if rc != 0:
            raise Failed("shim exited %d after SIGTERM: %s" % (rc, self.log_tail()))
        if left:
            raise Failed("left behind after SIGTERM: " + ", ".join(left[:5]))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run_client(client, url, n, times=None):
    cmd = [client, url, str(n), '{"bench":"warm"}'] + ([times] if times else [])
    r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise Failed("invoke_client: " + (r.stderr.strip().splitlines() or ["failed"])[-1])
    return r.stdout.strip()


def latency(shim, args, result):
    client, n, warmup, out = args[0], int(args[1]), int(args[2]), args[3]
    shim.remember(shim.wait_state("idle", 1, 30))
    run_client(client, shim.url(), warmup)
    result["client"] = run_client(client, shim.url(), n, out + ".ms")
    result["n"] = n


def pss_of(ids):
    """Sum of Pss (kB) over every process of the sandboxes' cgroups; also the process count."""
    total = procs = 0
    for sid in ids:
        path = cgroup_dir(sid)
        if not path:
            raise Failed("no cgroup directory for sandbox " + sid)
        for pid in cgroup_pids(path):
            total += pss_kb(pid)
            procs += 1
    return total, procs


def snapshot(ids, before):
    pss, procs = pss_of(ids)
    now = meminfo()
    n = len(ids)
    snap = {"sandboxes": n, "processes": procs, "pss_kb": pss, "memavailable_kb": now["MemAvailable"],
            "pss_mib_per_sandbox": pss / 1024.0 / n}
    kernel = 0
    for key in MEMINFO_KEYS:
        drop = before[key] - now[key] if key == "MemAvailable" else now[key] - before[key]
        snap[key.lower() + "_mib_per_sandbox"] = drop / 1024.0 / n
        kernel += drop if key != "MemAvailable" else 0
    # The processes' own pages plus the kernel's objects, stacks and page tables that the
    # sandboxes added: narrower than MemAvailable, which moves with everything else on the host.
    snap["pss_plus_kernel_mib_per_sandbox"] = (pss + kernel) / 1024.0 / n
    return snap


def memory(shim, args, result, before, shared=False):
    n = int(args[0])
    ids = shim.wait_state("idle", n, 120)
    shim.remember(ids)
    time.sleep(0.3)  # let the last sandboxes' start-up garbage settle
    if shared:
        ksm_settled()
        result["ksm_pages_sharing"] = int(ksm_read("pages_sharing"))
    result["idle"] = snapshot(ids, before)
    # The pool freezes a sandbox idle for its grace (1 s); wait for every one of them.
    ids = shim.wait_state("frozen", n, 30)
    result["frozen"] = snapshot(ids, before)
    result["n"] = n


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("latency", "memory", "memory-shared"):
        sys.exit(__doc__)
    mode, slxrun, root, bundle = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    args, out = sys.argv[5:], sys.argv[-1]
    result = {"mode": mode, "bundle": os.path.basename(bundle.rstrip("/")), "status": "ok"}
    os.makedirs(root, exist_ok=True)
    before = meminfo()
    warm = (1, 2) if mode == "latency" else (int(args[0]), int(args[0]))
    shim, shared = None, mode == "memory-shared"
    ksm_was = {k: ksm_read(k) for k in KSM_FAST} if shared else {}
    try:
        for k, v in (KSM_FAST if shared else {}).items():
            ksm_write(k, v)
        shim = Shim(slxrun, root, bundle, *warm, flags=["--share-memory"] if shared else [])
        if mode == "latency":
            latency(shim, args, result)
        else:
            memory(shim, args, result, before, shared)
        shim.stop()
    except (Failed, OSError, ValueError) as e:
        result["status"] = "failed: %s" % e
    finally:
        if shim:
            shim.kill()
        for k in ("pages_to_scan", "sleep_millisecs", "run"):
            if k in ksm_was:
                ksm_write(k, ksm_was[k])
    with open(out + ".json", "w") as f:
        json.dump(result, f, indent=1)
    print("%s %s: %s" % (mode, result["bundle"], result["status"]), file=sys.stderr)


if __name__ == "__main__":
    main()
