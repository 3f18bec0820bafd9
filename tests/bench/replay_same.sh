#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# replay_same.sh -- a change that only makes `shim replay` faster must leave
# every result as it was: two slxrun binaries replay the same traces and
# their outputs (stdout: the table, the CSV, the frontier) must be the same
# bytes; stderr's timings are set aside.
#
# Usage: tests/bench/replay_same.sh OLD_SLXRUN NEW_SLXRUN [OUTDIR]
#   env: SEEDS="1 2 3 4" (tests/traces/gen -s SEED -a 60 -d 1, every policy
#   app by app with both sweeps, the caches, and on nodes of 8G and 16G),
#   BIG=1 (also the 2,500-app day, -s 5 -a 2500 -d 1, the default policies;
#   about a minute a policy per binary), NEW_FLAGS="--jobs 1" and so on:
#   passed to NEW only (an OLD binary may not know them), and JOBS="1 2 3":
#   each is run as NEW_FLAGS="--jobs N" in turn when NEW knows --jobs.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OLD_SLXRUN NEW_SLXRUN [OUTDIR]" >&2; exit 2; }
old=$1 new=$2
cd "$(dirname "$0")/../.."
out=${3:-build/replay-same}
mkdir -p "$out"
seeds=${SEEDS-1 2 3 4}
fail=0

# args DIR: the day files of DIR with their durations and memory files.
args() {
	for f in "$1"/invocations_per_function_md.anon.d*.csv; do printf '%s\n' "$f"; done
	for f in "$1"/function_durations_percentiles.anon.d*.csv; do printf -- '--durations\n%s\n' "$f"; done
	for f in "$1"/app_memory_percentiles.anon.d*.csv; do printf -- '--memory\n%s\n' "$f"; done
}

# same NAME DIR FLAGS...: OLD and NEW on DIR with FLAGS, stdout compared.
same() {
	name=$1 dir=$2
	shift 2
	# shellcheck disable=SC2046 # the trace's paths have no blanks
	"$old" shim replay $(args "$dir") "$@" >"$out/$name.old" 2>"$out/$name.old.err" ||
		{ echo "FAIL $name: old binary: $(cat "$out/$name.old.err")"; fail=1; return; }
	for flags in $variants; do
		flags=$(echo "$flags" | tr , ' ')
		[ "$flags" = "-" ] && flags=
		# shellcheck disable=SC2046,SC2086
		"$new" shim replay $(args "$dir") "$@" $flags >"$out/$name.new" 2>"$out/$name.new.err" ||
			{ echo "FAIL $name ${flags}: new binary: $(cat "$out/$name.new.err")"; fail=1; continue; }
		if cmp -s "$out/$name.old" "$out/$name.new"; then
			echo "same $name ${flags:+($flags) }$(wc -l <"$out/$name.new") lines"
		else
			echo "DIFFERENT $name ${flags:+($flags)}:"
			diff "$out/$name.old" "$out/$name.new" | head -20
			fail=1
		fi
	done
}

# The variants of NEW's flags, one per run (commas for blanks, - for none).
if [ -n "${NEW_FLAGS:-}" ]; then
	variants=$(echo "$NEW_FLAGS" | tr ' ' ,)
elif "$new" shim replay --jobs 1 2>&1 | grep -q 'no trace file'; then
	variants=
	for j in ${JOBS:-1 2 3}; do variants="$variants --jobs,$j"; done
else
	variants=-
fi

for s in $seeds; do
	d=$out/s$s
	[ -f "$d/invocations_per_function_md.anon.d01.csv" ] || tests/traces/gen -s "$s" -a 60 -d 1 "$d"
	same "s$s-table" "$d" --sweep
	same "s$s-csv" "$d" --sweep --format csv
	same "s$s-caches" "$d" --policy lru --policy gdsf --policy fixed:0 --policy delta:6 \
		--format csv
	same "s$s-scaled" "$d" --time-scale 60 --cold-ms 50 --format csv
	same "s$s-node" "$d" --node-memory 8G,16G --format csv
done
if [ "${BIG:-0}" = 1 ]; then
	d=$out/a2500
	[ -f "$d/invocations_per_function_md.anon.d01.csv" ] || tests/traces/gen -s 5 -a 2500 -d 1 "$d"
	same a2500-csv "$d" --format csv
fi
[ "$fail" = 0 ] && echo "replay_same: every output the same" || echo "replay_same: outputs differ"
exit "$fail"
