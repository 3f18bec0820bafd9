#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh -- the cold-start benchmark: slxrun against crun and runc on the same busybox bundle.
#
# Usage: tests/bench/run.sh OUTDIR     (make bench passes build/examples)
# Builds the example bundles under OUTDIR if needed and writes OUTDIR/results: bench.md, bench.csv,
# per-run times, PNG plots. Knobs (environment): SLXRUN (binary, default ./slxrun of the repo),
# ROUNDS (default 5) x RUNS (per round, default 20) measured runs per runtime, WARMUP (default 5).
#
# Every runtime runs in one private mount + pid namespace where /sys/fs/cgroup is a cgroup2 mount:
# crun 1.8 refuses this host's hybrid layout even with --cgroup-manager=disabled, and runc 1.1 then
# takes its cgroup v2 path (a controller-less cgroup per container). The pid namespace's init is this
# script, so it reaps the container inits that `create` detaches (the host's pid 1 does not).
# hyperfine runs one command's runs back to back, so each scenario runs in ROUNDS calls with the
# runtime order rotated: slow drift of the machine then spreads over all runtimes alike.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
RESULTS=$OUT/results
SLXRUN=${SLXRUN:-$REPO/slxrun}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-5}
RUNTIMES="slxrun crun runc"
SCENARIOS="run lifecycle"

say() { printf 'bench: %s\n' "$*" >&2; }

ensure_tools() {
	local missing=() pkg
	# package:command pairs
	for pkg in crun:crun runc:runc hyperfine:hyperfine gnuplot-nox:gnuplot busybox-static:busybox; do
		command -v "${pkg#*:}" >/dev/null || missing+=("${pkg%%:*}")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# enter_namespace: re-run this script as pid 1 of a new mount + pid namespace.
enter_namespace() {
	[ "${SLX_BENCH_INSIDE:-}" = 1 ] && return 0
	SLX_BENCH_INSIDE=1 exec unshare --mount --pid --fork --mount-proc "$BASH" "$0" "$@"
}

setup_namespace() {
	mount --make-rprivate /
	mount -t cgroup2 none /sys/fs/cgroup
	WORK=$(mktemp -d /tmp/slx-bench.XXXXXX)
	trap cleanup EXIT
	mkdir -p "$WORK/bin" "$WORK/state/slxrun" "$WORK/state/crun" "$WORK/state/runc" "$RESULTS/raw"
	rm -f "$RESULTS"/raw/* "$RESULTS"/*.status "$RESULTS"/*.times "$RESULTS"/*.series
}

# cleanup: containers a failed run left behind (and runc's cgroups with them), then the state roots.
cleanup() {
	local runtime id
	for runtime in $RUNTIMES; do
		for id in $($(runtime_cli "$runtime") list -q 2>/dev/null); do
			$(runtime_cli "$runtime") delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$WORK"
}

# runtime_cli RUNTIME: the runtime's command line up to the verb, each with its own state root.
runtime_cli() {
	case $1 in
	slxrun) echo "$SLXRUN --root $WORK/state/slxrun" ;;
	crun) echo "crun --cgroup-manager=disabled --root $WORK/state/crun" ;;
	runc) echo "runc --root $WORK/state/runc" ;;
	esac
}

# Scenarios. scenario_NAME RUNTIME prints the command hyperfine runs (no shell: split on spaces);
# describe_NAME prints one line for the report. Add a scenario by adding both and naming it in
# SCENARIOS.

describe_run() { echo "run of /bin/true in the busybox bundle (one command: create, start, wait, delete)"; }
# `run` deletes the container when it exits, so one fixed id serves every run and no wrapper
# process adds its own start-up to the measurement.
scenario_run() {
	echo "$(runtime_cli "$1") run -b $OUT/busybox bench-run"
}

describe_lifecycle() { echo "create, start, delete -f as three commands (a wrapper sh runs them)"; }
scenario_lifecycle() {
	local script=$WORK/bin/lifecycle-$1 cli
	cli=$(runtime_cli "$1")
	cat >"$script" <<-EOF
		#!/bin/sh
		set -e
		$cli create -b $OUT/busybox cycle-\$\$
		$cli start cycle-\$\$
		$cli delete -f cycle-\$\$
	EOF
	chmod +x "$script"
	echo "$script"
}

# probe SCENARIO RUNTIME: run the scenario once; record ok or the first error line in a status file.
probe() {
	local status=$RESULTS/$1-$2.status cmd err
	cmd=$("scenario_$1" "$2")
	if [ "$2" = slxrun ] && [ ! -x "$SLXRUN" ]; then
		echo "failed: $SLXRUN not built" >"$status"
	elif err=$($cmd 2>&1 >/dev/null </dev/null); then
		echo ok >"$status"
	else
		echo "failed: $(printf '%s' "$err" | grep -m1 . || echo "exit status non-zero")" >"$status"
	fi
	[ "$(cat "$status")" = ok ]
}

# bench SCENARIO: probe every runtime, then ROUNDS hyperfine calls over the ones that work.
bench() {
	local scenario=$1 runtime round args=() order=()
	for runtime in $RUNTIMES; do
		if probe "$scenario" "$runtime"; then
			order+=("$runtime")
		else
			say "$scenario/$runtime: $(cat "$RESULTS/$scenario-$runtime.status")"
		fi
	done
	[ ${#order[@]} -gt 0 ] || return 0
	for round in $(seq 1 "$ROUNDS"); do
		args=()
		for runtime in "${order[@]}"; do
			args+=(-n "$runtime" "$("scenario_$scenario" "$runtime")")
		done
		say "$scenario: round $round/$ROUNDS: ${order[*]}"
		# -i: a failing run is recorded (exit_codes) and reported by summarize.py, not fatal.
		hyperfine -N -i --style basic --warmup "$WARMUP" --runs "$RUNS" \
			--export-json "$RESULTS/raw/$scenario-$round.json" "${args[@]}" </dev/null >/dev/null
		order=("${order[@]:1}" "${order[0]}")
	done
}

main() {
	ensure_tools
	enter_namespace "$@"
	setup_namespace
	"$REPO/rootfs-examples/build.sh" "$OUT" >&2
	say "slxrun=$SLXRUN, $ROUNDS rounds x $RUNS runs, warmup $WARMUP, results in $RESULTS"
	local scenario
	for scenario in $SCENARIOS; do
		bench "$scenario"
		"describe_$scenario" >"$RESULTS/$scenario.description"
	done
	# shellcheck disable=SC2086 # one argument per scenario
	python3 "$HERE/summarize.py" "$RESULTS" "$RUNTIMES" $SCENARIOS
	gnuplot -e "results='$RESULTS'; runtimes='$RUNTIMES'; scenarios='$SCENARIOS'" "$HERE/plot.gp"
	cat "$RESULTS/bench.md"
}

main "$@"
