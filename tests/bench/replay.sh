#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# replay.sh -- the policy comparison: replay the synthetic trace and the
# hand-written fixture through every policy, write CSVs and the plots.
# Usage: tests/bench/replay.sh [OUTDIR]   (env: SEED=1 APPS=200 DAYS=2 COLD_MS=5)
set -eu
cd "$(dirname "$0")/../.."
out=${1:-build/bench-replay}
seed=${SEED:-1} apps=${APPS:-200} days=${DAYS:-2} cold=${COLD_MS:-5}
fixture=tests/traces/fixture
mkdir -p "$out"

[ -x ./slxrun ] || make slxrun
replay() { ./slxrun shim replay "$@"; }

# run NAME DIR: every day file of DIR, its durations and memory files.
run() {
	name=$1 dir=$2
	set --
	for f in "$dir"/invocations_per_function_md.anon.d*.csv; do set -- "$@" "$f"; done
	for f in "$dir"/function_durations_percentiles.anon.d*.csv; do set -- "$@" --durations "$f"; done
	for f in "$dir"/app_memory_percentiles.anon.d*.csv; do set -- "$@" --memory "$f"; done
	replay "$@" --cold-ms "$cold" --policy fixed:600 --policy knative \
		--policy histogram --policy delta --format csv --plot "$out/$name.png" \
		>"$out/$name.csv"
	echo "== $name ($out/$name.csv, $out/$name.png)"
	cat "$out/$name.csv"
}

tests/traces/gen -s "$seed" -a "$apps" -d "$days" "$out/synthetic"
run synthetic "$out/synthetic"
run fixture "$fixture"

# The targets, printed (timings and ratios are measured, never asserted).
for name in synthetic fixture; do
	awk -F, -v name="$name" '
	$1 == "fixed:600" { fc = $4; fi = $5 } $1 == "histogram" { hc = $4; hi = $5 }
	$1 == "delta" { dc = $4; di = $5 }
	END {
		printf "%s: delta cold %% / fixed:600 = %.2f (target <= 0.5), idle %.0f vs %.0f GB*s; ", name, (fc > 0 ? dc / fc : 0), di, fi
		printf "vs histogram: cold %s, idle %s\n", dc <= hc ? "no worse" : "WORSE", di <= hi ? "no worse" : "WORSE"
	}' "$out/$name.csv"
done
