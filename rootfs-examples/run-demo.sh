#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-demo.sh -- what `make run` shows: one event invoked on the hello-exec function bundle.
#
# Usage: rootfs-examples/run-demo.sh OUTDIR    (OUTDIR holds the bundles build.sh made)
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
REPO=$(cd "$(dirname "$0")/.." && pwd)
SLXRUN=${SLXRUN:-$REPO/slxrun}
BUNDLE=$OUT/hello-exec
EVENT='{"name":"world"}'

[ -f "$BUNDLE/config.json" ] || { echo "run-demo: $BUNDLE missing; run rootfs-examples/build.sh $OUT" >&2; exit 1; }
[ -x "$SLXRUN" ] || { echo "run-demo: $SLXRUN not built; run make slxrun" >&2; exit 1; }

echo "run-demo: bundle $BUNDLE (exec mode: the handler reads the event on stdin, answers on stdout)"
echo "run-demo: \$ echo '$EVENT' | $SLXRUN invoke $BUNDLE"
answer=$(echo "$EVENT" | "$SLXRUN" invoke "$BUNDLE")
echo "run-demo: answer: $answer"
