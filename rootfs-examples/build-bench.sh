#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build-bench.sh -- the benchmark's own bundles under OUTDIR: bench-echo-exec, an exec-mode
# function whose handler is one tiny static program (bench-echo.c), so a warm invocation
# measures the platform's fork+exec and not a libc's start-up.
#
# Usage: rootfs-examples/build-bench.sh OUTDIR   (after build.sh OUTDIR: the config is the
# hello-exec bundle's, with the handler swapped)
# Needs musl-gcc (Debian's musl-tools; tests/bench/run.sh installs it): a glibc build would
# measure glibc's start-up, so without musl the script fails rather than build something else.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/bench-echo.c
BASE=$OUT/hello-exec/config.json
DIR=$OUT/bench-echo-exec

die() { echo "build-bench.sh: $*" >&2; exit 1; }

command -v musl-gcc >/dev/null || die "musl-gcc missing (apt-get install musl-tools)"
[ -f "$BASE" ] || die "$BASE missing: run rootfs-examples/build.sh $OUT first"
if [ -f "$DIR/.stamp" ] && [ "$DIR/.stamp" -nt "$SRC" ] && [ "$DIR/.stamp" -nt "$0" ] &&
	[ "$DIR/.stamp" -nt "$BASE" ]; then
	exit 0
fi
echo "build-bench.sh: $DIR"
rm -rf "$DIR"
# Only what the runtime mounts on and the handler: no shell, no busybox.
mkdir -p "$DIR/rootfs/proc" "$DIR/rootfs/sys" "$DIR/rootfs/dev" "$DIR/rootfs/tmp" \
	"$DIR/rootfs/etc" "$DIR/rootfs/function"
chmod 1777 "$DIR/rootfs/tmp"
cp "$OUT/hello-exec/rootfs/etc/passwd" "$OUT/hello-exec/rootfs/etc/group" "$DIR/rootfs/etc/"
musl-gcc -std=gnu11 -static -O2 -s -Wall -Wextra -Werror -o "$DIR/rootfs/function/echo" "$SRC"
python3 - "$BASE" "$DIR/config.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["process"]["args"] = ["/function/echo"]
cfg["annotations"]["org.slxrun.function.mode"] = "exec"
cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "network"]
json.dump(cfg, open(sys.argv[2], "w"), indent="\t")
PY
touch "$DIR/.stamp"
