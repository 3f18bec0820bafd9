#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh -- the cold-start benchmark: slxrun against crun and runc on the same bundles, and the
# invoke shim's warm latency and memory per warm sandbox.
#
# Usage: tests/bench/run.sh OUTDIR     (make bench passes build/examples)
# Builds the example bundles under OUTDIR if needed and writes OUTDIR/results: bench.md, bench.csv,
# per-run times, PNG plots. Knobs (environment): SLXRUN (binary, default ./slxrun of the repo),
# ROUNDS (default 5) x RUNS (per round, default 20) measured runs per runtime, WARMUP (default 5);
# BURST (copies started at once, default 50) and BURST_RUNS (per round, default 4); WARM_N (timed
# warm invocations per mode, default 2000) after WARM_UP (default 200); MEM_N (warm sandboxes for
# the memory figure, default 100).
#
# Scenarios: run and lifecycle (one cold start, three ways), burst (BURST cold starts at once),
# invoke_cold (slxrun's one-shot invoke against crun/runc `run` of the same function bundle) are
# hyperfine scenarios; the warm invocations (tests/bench/invoke_client.c over one kept-alive
# connection) and the memory per idle warm sandbox run against a live `slxrun shim serve`
# (tests/bench/shim_bench.py), slxrun only.
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
BURST=${BURST:-50}
BURST_RUNS=${BURST_RUNS:-4}
WARM_N=${WARM_N:-2000}
WARM_UP=${WARM_UP:-200}
MEM_N=${MEM_N:-100}
RUNTIMES="slxrun crun runc"
SCENARIOS="run lifecycle burst invoke_cold"
# The warm-latency runs: result label and bundle (the label names the mode and the function).
WARM_RUNS="exec-echo:bench-echo-exec exec-hello:hello-exec runtime-api:lambda-bootstrap"

say() { printf 'bench: %s\n' "$*" >&2; }

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
	# Every runtime's state root on a tmpfs, as /run (their default) is on a normal host: a
	# durable state write (slxrun fsyncs its state files) then costs what it costs there.
	mkdir -p "$WORK/state"
	mount -t tmpfs -o mode=0700 slx-bench-state "$WORK/state"
	mkdir -p "$WORK/bin" "$WORK/state/slxrun" "$WORK/state/crun" "$WORK/state/runc" "$RESULTS/raw"
	rm -f "$RESULTS"/raw/* "$RESULTS"/*.status "$RESULTS"/*.times "$RESULTS"/*.series \
		"$RESULTS"/*.json "$RESULTS"/*.ms "$RESULTS"/*.dat "$RESULTS"/*.png "$RESULTS"/loadavg.*
}

# cleanup: containers a failed run left behind (and runc's cgroups with them), then the state roots.
cleanup() {
	local runtime id
	for runtime in $RUNTIMES; do
		for id in $($(runtime_cli "$runtime") list -q 2>/dev/null); do
			$(runtime_cli "$runtime") delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	umount "$WORK/state" 2>/dev/null || true
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

# build_tools: the burst launcher and the warm-invocation client, into $WORK/bin.
build_tools() {
	local flags="-std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes"
	# shellcheck disable=SC2086 # one word per flag
	gcc $flags -o "$WORK/bin/burst" "$HERE/burst.c"
	# shellcheck disable=SC2086
	gcc $flags -o "$WORK/bin/invoke_client" "$HERE/invoke_client.c" -lcurl
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

describe_burst() {
	echo "$BURST \`run\` of /bin/true in the busybox bundle started at once (distinct ids), until all are done"
}
scenario_burst() {
	echo "$WORK/bin/burst $BURST $(runtime_cli "$1") run -b $OUT/busybox burst-%i"
}

describe_invoke_cold() {
	echo "one-shot cold invocation of bench-echo-exec: \`slxrun invoke --data\` (sandbox, agent, function, teardown) against crun/runc \`run\` of the same bundle"
}
scenario_invoke_cold() {
	case $1 in
	slxrun) echo "$(runtime_cli "$1") invoke --data {} $OUT/bench-echo-exec" ;;
	*) echo "$(runtime_cli "$1") run -b $OUT/bench-echo-exec bench-invoke" ;;
	esac
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
	local scenario=$1 runtime round args=() order=() runs=$RUNS warmup=$WARMUP
	# A burst is BURST starts in one run: fewer runs give as many starts.
	[ "$scenario" = burst ] && runs=$BURST_RUNS warmup=1
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
		hyperfine -N -i --style basic --warmup "$warmup" --runs "$runs" \
			--export-json "$RESULTS/raw/$scenario-$round.json" "${args[@]}" </dev/null >/dev/null
		order=("${order[@]:1}" "${order[0]}")
	done
}

# floors: what spawning a process costs on this host outside any sandbox (the static musl echo,
# and glibc's /bin/true), the yardstick for the warm exec-mode figures.
floors() {
	say "floors: host process spawn"
	hyperfine -N -i --style basic --warmup 20 --runs 300 --export-json "$RESULTS/floor.json" \
		-n "static musl echo" "$OUT/bench-echo-exec/rootfs/function/echo" \
		-n "glibc /bin/true" /bin/true </dev/null >/dev/null
}

# warm: every WARM_RUNS entry against its own shim, then the memory of MEM_N idle warm sandboxes.
warm() {
	local entry label
	if [ ! -x "$SLXRUN" ]; then
		say "warm: $SLXRUN not built"
		return 0
	fi
	for entry in $WARM_RUNS; do
		label=${entry%%:*}
		say "warm $label: $WARM_UP + $WARM_N invocations through the shim"
		python3 "$HERE/shim_bench.py" latency "$SLXRUN" "$WORK/shim-$label" "$OUT/${entry#*:}" \
			"$WORK/bin/invoke_client" "$WARM_N" "$WARM_UP" "$RESULTS/warm-$label"
	done
	say "memory: $MEM_N warm sandboxes of bench-echo-exec, idle then frozen"
	python3 "$HERE/shim_bench.py" memory "$SLXRUN" "$WORK/shim-memory" "$OUT/bench-echo-exec" \
		"$MEM_N" "$RESULTS/memory"
}

main() {
	"$REPO/tests/deps.sh" crun runc hyperfine gnuplot-nox busybox-static musl-tools gcc curl \
		libcurl4-openssl-dev
	enter_namespace "$@"
	setup_namespace
	"$REPO/rootfs-examples/build.sh" "$OUT" >&2
	"$REPO/rootfs-examples/build-bench.sh" "$OUT" >&2
	build_tools
	say "slxrun=$SLXRUN, $ROUNDS rounds x $RUNS runs, warmup $WARMUP, results in $RESULTS"
	local scenario
	# The host is shared: its load when the measuring started and ended goes into the report.
	cut -d' ' -f1-3 /proc/loadavg >"$RESULTS/loadavg.start"
	for scenario in $SCENARIOS; do
		bench "$scenario"
		"describe_$scenario" >"$RESULTS/$scenario.description"
	done
	echo "$BURST" >"$RESULTS/burst.count"
	floors
	warm
	cut -d' ' -f1-3 /proc/loadavg >"$RESULTS/loadavg.end"
	# shellcheck disable=SC2086 # one argument per scenario
	python3 "$HERE/summarize.py" "$RESULTS" "$RUNTIMES" $SCENARIOS
	gnuplot -e "results='$RESULTS'; runtimes='$RUNTIMES'; scenarios='$SCENARIOS'" "$HERE/plot.gp"
	cat "$RESULTS/bench.md"
}

main "$@"
