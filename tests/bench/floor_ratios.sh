#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# floor_ratios.sh -- the function sandbox's figures with the floor on, as ratios in one run (issue
# 11's targets): warm exec p50 and p99 against the host's own spawn of the same static binary,
# runtime-api p50, sandbox creation rate against crun's `run` rate, host memory per idle warm
# sandbox; with the load average at start and end, since the host is shared.
#
# Usage: tests/bench/floor_ratios.sh OUTDIR   (OUTDIR holds the built examples: build/examples)
# Knobs: SLXRUN (default ./slxrun), N (timed warm invocations, and as many host spawns, 2000) after
# WARM_UP (200), alternating in chunks of CHUNK (100), CREATE_N (sandboxes made at once, and crun runs at once, 32), MEM_N (idle
# sandboxes for the memory figure, 100).  Writes OUTDIR/floor-ratios/report.txt and prints it.
# Runs as pid 1 of a private mount + pid namespace with cgroup2 on /sys/fs/cgroup, as run.sh does,
# so crun (--cgroup-manager=disabled) runs on this hybrid host.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$(cd "$1" && pwd)
SLXRUN=${SLXRUN:-$REPO/slxrun}
N=${N:-2000}
WARM_UP=${WARM_UP:-200}
CHUNK=${CHUNK:-100}
CREATE_N=${CREATE_N:-32}
MEM_N=${MEM_N:-100}
RES=$OUT/floor-ratios

if [ "${SLX_BENCH_INSIDE:-}" != 1 ]; then
	"$REPO/tests/deps.sh" crun hyperfine musl-tools gcc libcurl4-openssl-dev
	SLX_BENCH_INSIDE=1 exec unshare --mount --pid --fork --mount-proc "$BASH" "$0" "$@"
fi
mount --make-rprivate /
mount -t cgroup2 none /sys/fs/cgroup
WORK=$(mktemp -d /tmp/slx-floor.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$RES" "$WORK/bin" "$WORK/crun"
gcc -std=gnu11 -O2 -o "$WORK/bin/invoke_client" "$HERE/invoke_client.c" -lcurl
gcc -std=gnu11 -O2 -o "$WORK/bin/burst" "$HERE/burst.c"
say() { printf 'floor_ratios: %s\n' "$*" >&2; }

cut -d' ' -f1-3 /proc/loadavg >"$RES/loadavg.start"
# Host spawns and warm invocations alternate in chunks of CHUNK, so a burst of load from the
# shared host falls on both alike: the ratios compare like with like.
for entry in exec:bench-echo-exec runtime-api:lambda-bootstrap; do
	say "warm ${entry%%:*}: $WARM_UP + $N invocations, $N host spawns of the static echo, interleaved"
	mkdir -p "$WORK/shim-${entry%%:*}"
	python3 - "$HERE" "$SLXRUN" "$WORK/shim-${entry%%:*}" "$OUT/${entry#*:}" \
		"$WORK/bin/invoke_client" "$N" "$WARM_UP" "$CHUNK" "$OUT/bench-echo-exec/rootfs/function/echo" \
		"$RES/warm-${entry%%:*}" <<'PY'
import json, os, subprocess, sys
sys.path.insert(0, sys.argv[1])
import shim_bench as sb
slx, root, bundle, client = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
n, warmup, chunk, echo, out = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), sys.argv[9], sys.argv[10]
shim = sb.Shim(slx, root, bundle, 1, 2)
warm, spawn = [], []
try:
    shim.remember(shim.wait_state("idle", 1, 30))
    sb.run_client(client, shim.url(), warmup)
    for k in range(0, n, chunk):
        sb.run_client(client, shim.url(), chunk, out + ".chunk")
        warm += [float(l) for l in open(out + ".chunk")]
        subprocess.run(["hyperfine", "-N", "-i", "--style", "none", "--warmup", "5", "--runs", str(chunk),
                        "--export-json", out + ".chunk.json", echo], check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        spawn += [t * 1000 for t in json.load(open(out + ".chunk.json"))["results"][0]["times"]]
    shim.stop()
finally:
    shim.kill()
os.unlink(out + ".chunk"); os.unlink(out + ".chunk.json")
open(out + ".ms", "w").write("".join("%.4f\n" % x for x in warm))
open(out + ".spawn.ms", "w").write("".join("%.4f\n" % x for x in spawn))
PY
done
say "creation: $CREATE_N sandboxes at once through the shim, $CREATE_N crun run at once"
mkdir -p "$WORK/shim-create"
python3 - "$SLXRUN" "$WORK/shim-create" "$OUT/bench-echo-exec" "$CREATE_N" "$RES/create.json" <<'PY'
import json, os, subprocess, sys, time, urllib.request, socket
slx, root, bundle, n, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
t0 = time.monotonic()
p = subprocess.Popen([slx, "--root", root, "shim", "serve", "--no-auth", "--listen",
                      "tcp:127.0.0.1:%d" % port, "--min-warm", str(n), "--max", str(n), bundle],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
ready = None
while time.monotonic() - t0 < 60:
    try:
        st = json.load(urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=5))
        if sum(1 for x in st["sandboxes"] if x["state"] in ("idle", "frozen")) >= n:
            ready = time.monotonic() - t0
            break
    except OSError:
        pass
    time.sleep(0.002)
p.terminate(); p.wait(30)
json.dump({"n": n, "seconds": ready, "per_s": n / ready if ready else None}, open(out, "w"))
PY
hyperfine -N -i --style none --warmup 1 --runs 10 --export-json "$RES/crun-burst.json" \
	"$WORK/bin/burst $CREATE_N crun --cgroup-manager=disabled --root $WORK/crun run -b $OUT/busybox c-%i" \
	</dev/null >/dev/null
hyperfine -N -i --style none --warmup 5 --runs 50 --export-json "$RES/crun-run.json" \
	"crun --cgroup-manager=disabled --root $WORK/crun run -b $OUT/busybox c-one" </dev/null >/dev/null
say "memory: $MEM_N idle warm sandboxes"
mkdir -p "$WORK/shim-memory"
python3 "$HERE/shim_bench.py" memory "$SLXRUN" "$WORK/shim-memory" "$OUT/bench-echo-exec" \
	"$MEM_N" "$RES/memory"
cut -d' ' -f1-3 /proc/loadavg >"$RES/loadavg.end"

python3 - "$RES" "$CREATE_N" <<'PY' | tee "$RES/report.txt"
import json, statistics, sys
res, k = sys.argv[1], int(sys.argv[2])
def q(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(p * len(v)))]
exe = [float(l) for l in open(res + "/warm-exec.ms")]
spawn = [float(l) for l in open(res + "/warm-exec.spawn.ms")]
rapi = [float(l) for l in open(res + "/warm-runtime-api.ms")]
create = json.load(open(res + "/create.json"))
burst = statistics.median(json.load(open(res + "/crun-burst.json"))["results"][0]["times"])
one = statistics.median(json.load(open(res + "/crun-run.json"))["results"][0]["times"])
mem = json.load(open(res + "/memory.json"))
la = [open(res + "/loadavg." + w).read().strip() for w in ("start", "end")]
print("load average at start %s, at end %s" % (la[0], la[1]))
print("host spawn of the static echo (interleaved with the warm exec run): p50 %.3f ms, p99 %.3f ms"
      % (q(spawn, .5), q(spawn, .99)))
print("warm exec (static echo): p50 %.3f ms (%.2fx), p99 %.3f ms (%.2fx)" % (
    q(exe, .5), q(exe, .5) / q(spawn, .5), q(exe, .99), q(exe, .99) / q(spawn, .99)))
print("warm runtime-api (Lambda bootstrap): p50 %.3f ms, p99 %.3f ms" % (q(rapi, .5), q(rapi, .99)))
print("creation: %d sandboxes in %.3f s = %.0f/s; crun run: %d at once %.0f/s, one at a time %.0f/s"
      " (%.2fx and %.2fx)" % (create["n"], create["seconds"], create["per_s"], k, k / burst, 1 / one,
                             create["per_s"] / (k / burst), create["per_s"] * one))
for state in ("idle", "frozen"):
    m = mem[state]
    print("memory per %s warm sandbox (%d): %.2f MiB PSS, %.2f MiB with the kernel's slab, page"
          " tables and stacks" % (state, m["sandboxes"], m["pss_mib_per_sandbox"],
                                  m["pss_plus_kernel_mib_per_sandbox"]))
PY
