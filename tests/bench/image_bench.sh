#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# image_bench.sh -- issue 12's figures for the Python image (rootfs-examples/
# build-python-image.sh), side by side in one run: cold invoke from a pulled but never
# unpacked image and from the cache, warm p50/p99 through the shim, crun and runc running
# the same image after `umoci unpack`, podman running it (crun and runc) from its own storage,
# host memory and disk per extra warm sandbox, and unpacking against `umoci unpack` and `tar -x`
# of the same layer.
#
# Usage: tests/bench/image_bench.sh [RESULTS_DIR]   (make bench-image)
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$REPO/tests/bench
SLXRUN=${SLXRUN:-$REPO/slxrun}
OUT=$REPO/build/examples
RESULTS=${1:-$REPO/build/bench-image}
COLD_N=${COLD_N:-5} CACHED_N=${CACHED_N:-20} WARM_N=${WARM_N:-500} MEM_N=${MEM_N:-11}
LAYOUT=$OUT/python-image
REF=oci:$LAYOUT:py
EVENT='{"name":"bench"}'
W=$(mktemp -d /tmp/slx-image-bench.XXXXXX)
chmod 711 "$W"
trap 'rm -rf "$W"' EXIT
mkdir -p "$RESULTS"
say() { echo "image_bench: $*" >&2; }
ms() { echo "scale=1; ($2 - $1) / 1000000" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$REPO/rootfs-examples/build-python-image.sh" "$OUT" >&2
gcc -O2 -o "$W/invoke_client" "$HERE/invoke_client.c" -lcurl
BLOB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"][7:])' \
	"$LAYOUT/blobs/sha256/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$LAYOUT/index.json")")
RAW=$(zcat "$LAYOUT/blobs/sha256/$BLOB" | wc -c)

say "cold, pulled but never unpacked ($COLD_N fresh stores)"
for i in $(seq "$COLD_N"); do
	"$SLXRUN" --root "$W/cold$i" image pull "$REF" >/dev/null
	t0=$(date +%s%N)
	"$SLXRUN" --root "$W/cold$i" invoke --data "$EVENT" "$REF" >/dev/null
	t1=$(date +%s%N)
	ms "$t0" "$t1"
done | median >"$RESULTS/cold-unpack.ms"

say "cold from the cache ($CACHED_N runs)"
"$SLXRUN" --root "$W/cached" invoke --data "$EVENT" "$REF" >/dev/null
for i in $(seq "$CACHED_N"); do
	t0=$(date +%s%N)
	"$SLXRUN" --root "$W/cached" invoke --data "$EVENT" "$REF" >/dev/null
	t1=$(date +%s%N)
	ms "$t0" "$t1"
done | median >"$RESULTS/cold-cached.ms"

say "crun and runc after umoci unpack: python3 imports the handler and calls it once"
umoci unpack --image "$LAYOUT:py" "$W/ub" >/dev/null
python3 - "$W/ub/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["args"] = ["/usr/bin/python3.11", "-c",
    "import sys, json; sys.path.insert(0, '/var/task'); import app; "
    "print(json.dumps(app.handler({'name': 'bench'}, None)))"]
c["process"]["terminal"] = False
json.dump(c, open(p, "w"))
PY
# As run.sh does: crun 1.8 refuses this host's hybrid cgroups even with
# --cgroup-manager=disabled, so the runtimes run where /sys/fs/cgroup is a cgroup2 mount.
# podman (through conmon) runs the same python3 -c on the image loaded from the layout into
# its own overlay storage: with crun, its default, as --cgroups=disabled (crun 1.8 raises
# RLIMIT_MEMLOCK for its device filter, which this host refuses), and with runc (cgroupfs).
# Its containers.conf is tests/podman's: no default ulimits, pids_limit = 0.  A tmpfs over
# /run keeps the runtimes' own state private.
PYARGS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["args"][2])' \
	"$W/ub/config.json")
export W RESULTS CACHED_N SLXRUN LAYOUT PYARGS
unshare --mount --pid --fork --mount-proc bash -c '
	set -eu
	med() { sort -n | awk "{a[NR]=\$1} END {print a[int((NR+1)/2)]}"; }
	mount --make-rprivate / && mount -t cgroup2 none /sys/fs/cgroup
	for rt in "crun --cgroup-manager=disabled" runc "$SLXRUN"; do
		name=${rt%% *}; name=${name##*/}
		for i in $(seq "$CACHED_N"); do
			t0=$(date +%s%N)
			$rt --root "$W/rt-$name" run -b "$W/ub" "bench-$name" >/dev/null </dev/null
			t1=$(date +%s%N)
			echo "scale=1; ($t1 - $t0) / 1000000" | bc
		done | med >"$RESULTS/run-$name.ms"
	done
	mount -t tmpfs tmpfs /run
	P=$W/podman
	mkdir -p "$P/root" "$P/runroot" "$P/tmp"
	printf "[containers]\ndefault_ulimits = []\npids_limit = 0\n[engine]\n%s\n%s\n" \
		"cgroup_manager = \"cgroupfs\"" "events_logger = \"file\"" >"$P/containers.conf"
	export CONTAINERS_CONF=$P/containers.conf
	p() { timeout 120 podman --root "$P/root" --runroot "$P/runroot" --tmpdir "$P/tmp" \
		--storage-driver overlay "$@"; }
	p pull -q "oci:$LAYOUT:py" >/dev/null
	p tag "$(p images -q | head -1)" localhost/slxbench/python:py
	run() {
		local flags="--runtime runc --cgroup-parent /slxbench_podman"
		[ "$1" = crun ] && flags="--runtime crun --cgroups=disabled"
		p run --rm --network none --pull never $flags \
			--entrypoint /usr/bin/python3.11 localhost/slxbench/python:py -c "$PYARGS"
	}
	# Rounds alternate the two runtimes, so a burst of load on this shared host falls on both.
	for rt in crun runc; do
		run "$rt" >/dev/null </dev/null || { echo "podman run ($rt) failed" >&2; exit 1; }
	done
	for i in $(seq "$CACHED_N"); do
		for rt in crun runc; do
			t0=$(date +%s%N)
			run "$rt" >/dev/null </dev/null
			t1=$(date +%s%N)
			echo "scale=1; ($t1 - $t0) / 1000000" | bc >>"$P/$rt.ms"
		done
	done
	for rt in crun runc; do med <"$P/$rt.ms" >"$RESULTS/podman-$rt.ms"; done
	p rm -af >/dev/null 2>&1 || true
	[ -d /sys/fs/cgroup/slxbench_podman ] &&
		find /sys/fs/cgroup/slxbench_podman -depth -type d -exec rmdir {} + || true'

say "warm: $WARM_N invocations through the shim"
python3 "$HERE/shim_bench.py" latency "$SLXRUN" "$W/shim-warm" "$REF" "$W/invoke_client" \
	"$WARM_N" 50 "$RESULTS/warm" >/dev/null

say "memory and disk: 1 then $MEM_N idle warm sandboxes"
"$SLXRUN" --root "$W/mem" image pull "$REF" >/dev/null
"$SLXRUN" --root "$W/mem" invoke --data "$EVENT" "$REF" >/dev/null
disk0=$(du -sb "$W/mem/images" | cut -f1)
python3 "$HERE/shim_bench.py" memory "$SLXRUN" "$W/mem" "$REF" 1 "$RESULTS/mem-1" >/dev/null
python3 "$HERE/shim_bench.py" memory "$SLXRUN" "$W/mem" "$REF" "$MEM_N" "$RESULTS/mem-n" >/dev/null
say "memory with shim serve --share-memory (KSM on for the measurement): 1 then $MEM_N"
python3 "$HERE/shim_bench.py" memory-shared "$SLXRUN" "$W/mem" "$REF" 1 "$RESULTS/mem-shared-1" >/dev/null
python3 "$HERE/shim_bench.py" memory-shared "$SLXRUN" "$W/mem" "$REF" "$MEM_N" "$RESULTS/mem-shared-n" \
	>/dev/null
disk1=$(du -sb "$W/mem/images" | cut -f1)

say "unpacking the ${RAW}-byte layer"
"$SLXRUN" --root "$W/up" image pull "$REF" >/dev/null
t0=$(date +%s%N); "$SLXRUN" --root "$W/up" invoke --data "$EVENT" "$REF" >/dev/null; t1=$(date +%s%N)
slx_unpack=$(echo "$(ms "$t0" "$t1") - $(cat "$RESULTS/cold-cached.ms")" | bc)
t0=$(date +%s%N); umoci unpack --image "$LAYOUT:py" "$W/umoci" >/dev/null; t1=$(date +%s%N)
umoci_ms=$(ms "$t0" "$t1")
mkdir "$W/tar"
t0=$(date +%s%N); tar -xzf "$LAYOUT/blobs/sha256/$BLOB" -C "$W/tar"; t1=$(date +%s%N)
tar_ms=$(ms "$t0" "$t1")

python3 - "$RESULTS" "$RAW" "$slx_unpack" "$umoci_ms" "$tar_ms" "$disk0" "$disk1" "$MEM_N" <<'PY'
import json, sys
res, raw, slx, umoci, tar, d0, d1, n = sys.argv[1:]
raw = int(raw); n = int(n)
rd = lambda f: open("%s/%s" % (res, f)).read().strip()
warm = json.load(open(res + "/warm.json"))
ms = sorted(float(x) for x in open(res + "/warm.ms"))
p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
mem = {f: json.load(open("%s/%s.json" % (res, f))) for f in ("mem-1", "mem-n", "mem-shared-1", "mem-shared-n")}


def extra_row(one, many):
    m1, mn = mem[one], mem[many]
    if m1["status"] != "ok" or mn["status"] != "ok":
        return "%s, %s" % (m1["status"], mn["status"])
    extra = lambda k: (mn["idle"][k] * n - m1["idle"][k]) / (n - 1)
    return "%.2f / %.2f MiB" % (extra("pss_mib_per_sandbox"), extra("pss_plus_kernel_mib_per_sandbox"))


thr = lambda t: "%.0f MB/s" % (raw / 1e6 / (float(t) / 1000)) if float(t) > 0 else "n/a"
rows = [
    ("cold invoke, pulled but never unpacked (median)", rd("cold-unpack.ms") + " ms"),
    ("cold invoke from the cache (median)", rd("cold-cached.ms") + " ms"),
    ("warm invoke through the shim p50 / p99", "%.2f / %.2f ms (%s)" % (p(0.5), p(0.99), warm["status"])),
    ("crun --cgroup-manager=disabled run, umoci-unpacked bundle (median)", rd("run-crun.ms") + " ms"),
    ("runc run, same bundle (median)", rd("run-runc.ms") + " ms"),
    ("slxrun run, same bundle (median)", rd("run-slxrun.ms") + " ms"),
    ("podman run of the image (crun, --cgroups=disabled; overlay storage) (median)",
     rd("podman-crun.ms") + " ms"),
    ("podman run, runc (median)", rd("podman-runc.ms") + " ms"),
    ("memory per extra warm sandbox: PSS / PSS + kernel objects", extra_row("mem-1", "mem-n")),
    ("the same with shim serve --share-memory (KSM scanned twice after the pool went idle)",
     extra_row("mem-shared-1", "mem-shared-n")),
    ("disk added by %d warm sandboxes (store du before/after)" % n, "%d bytes" % (int(d1) - int(d0))),
    ("unpack %.1f MB: slxrun (first invoke - cached invoke)" % (raw / 1e6), "%s ms, %s" % (slx, thr(slx))),
    ("unpack: umoci unpack", "%s ms, %s" % (umoci, thr(umoci))),
    ("unpack: tar -xzf", "%s ms, %s" % (tar, thr(tar))),
]
with open(res + "/summary.md", "w") as f:
    f.write("| measure | figure |\n|---|---|\n")
    for k, v in rows:
        f.write("| %s | %s |\n" % (k, v))
print(open(res + "/summary.md").read())
PY
