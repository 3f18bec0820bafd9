#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh -- slxrun as a runc drop-in under a real containerd 1.6 (containerd-shim-runc-v2 with
# BinaryName), every scenario run first with Debian's runc as the control.
#
# Usage: tests/containerd/run.sh SLXRUN EXAMPLES     (make test-containerd passes ./slxrun, build/examples)
# EXAMPLES must hold the busybox bundle (rootfs-examples/build.sh EXAMPLES builds it).
# Knobs (environment): RUNTIMES (default "runc slxrun"), VERBOSE=1 prints every check, not only
# the failing ones.
#
# The whole test runs as pid 1 of a private mount + pid namespace: containerd, its shims and the
# containers die with it, and a tmpfs over /run/containerd keeps the paths the 1.6 shim and ctr
# hard-code (/run/containerd/s for shim sockets, /run/containerd/fifo for stdio fifos) private.
# containerd itself runs on its own --root, --state and socket under a temp dir.
#
# Cgroups: the host's hybrid layout as it is. The 1.6 shim sees a tmpfs at /sys/fs/cgroup and
# loads the task's v1 cgroups (OOM events, metrics); runc creates v1 cgroups (and its unified
# one) under /slxtest/<id>; slxrun uses the unified hierarchy. Remounting /sys/fs/cgroup as
# cgroup2 (what the bench does for crun) breaks the control: ctr's default spec asks for
# cpu shares and the controller-less unified hierarchy has no cpu.weight, so runc create fails.
#
# How the runtime is chosen: containerd 1.6 reads per-runtime options (BinaryName) from its config
# only in the CRI plugin, which this test disables (it wants CNI and registries). ctr sends the same
# runc.v2 options message that CRI builds from the config: `--runtime io.containerd.runc.v2
# --runc-binary B --runc-root R` becomes options.Options{BinaryName: B, Root: R} in the task's
# create request, and the shim then runs B for every runc verb. B is read from the runtime's
# BinaryName in the config.toml written below, so the config is the one place that names it.
set -eu

SUITE=containerd
. "$(cd "$(dirname "$0")" && pwd)/../lib/client_suite.sh"

[ $# -eq 2 ] || { echo "usage: $0 SLXRUN EXAMPLES" >&2; exit 2; }
SLXRUN=$(realpath "$1")
EXAMPLES=$(realpath "$2")
RUNTIMES=${RUNTIMES:-"runc slxrun"}
NS=slxtest
SUITE_CGROUP=$NS
IMAGE=localhost/slxtest/busybox:latest
SCENARIOS="run status detached exec exectty ps pause kill killall killexited tty fail notfound shares
badflag workdir"
# Every ctr call is bounded, so a runtime that hangs fails its scenario instead of the test.
CTR_TIMEOUT=30




setup_namespace() {
	mount --make-rprivate /
	WORK=$(mktemp -d /tmp/slx-containerd.XXXXXX)
	PRE_CGROUPS=" $(for d in $(cgroup_parents); do [ -e "$d" ] && echo "$d"; done | tr '\n' ' ') "
	# As pid 1 of the namespace this shell gets no signal it does not handle: name INT and TERM
	# so an interrupted run still cleans up.
	trap cleanup EXIT
	trap interrupted INT TERM
	# /run/containerd: created on the host only if missing, and then removed again by cleanup.
	[ -d /run/containerd ] || { mkdir /run/containerd && RUN_CREATED=1; }
	mount -t tmpfs -o mode=0711 slx-containerd-run /run/containerd
	mkdir -p "$WORK/root" "$WORK/state" "$WORK/opt" "$WORK/runc-root" "$WORK/logs" "$WORK/image"
}

# write_config: containerd on private paths, nothing that wants the network, and the two runtimes
# as a CRI user would register them (the section the README shows).
write_config() {
	cat >"$WORK/config.toml" <<-EOF
		version = 2
		root = "$WORK/root"
		state = "$WORK/state"
		disabled_plugins = [
		  "io.containerd.grpc.v1.cri",
		  "io.containerd.snapshotter.v1.aufs",
		  "io.containerd.snapshotter.v1.btrfs",
		  "io.containerd.snapshotter.v1.devmapper",
		  "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.tracing.processor.v1.otlp",
		  "io.containerd.internal.v1.tracing",
		]

		[grpc]
		  address = "$WORK/containerd.sock"

		[plugins."io.containerd.internal.v1.opt"]
		  path = "$WORK/opt"

		[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.slx]
		  runtime_type = "io.containerd.runc.v2"
		  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.slx.options]
		    BinaryName = "$SLXRUN"

		[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-control]
		  runtime_type = "io.containerd.runc.v2"
		  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-control.options]
		    BinaryName = "$(command -v runc)"
	EOF
}

# config_binary RUNTIME: the BinaryName the config registers for RUNTIME (slx or runc-control).
config_binary() {
	awk -v sect="[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$1.options]" '
		$0 ~ /^[[:space:]]*\[/ { gsub(/^[[:space:]]+/, ""); on = ($0 == sect); next }
		on && $1 == "BinaryName" { gsub(/"/, "", $3); print $3; exit }' "$WORK/config.toml"
}

start_containerd() {
	containerd --config "$WORK/config.toml" --log-level debug >"$WORK/logs/containerd.log" 2>&1 &
	CONTAINERD_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$WORK/containerd.sock" ] && ctr -a "$WORK/containerd.sock" version >/dev/null 2>&1 && return 0
		kill -0 "$CONTAINERD_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$WORK/logs/containerd.log" >&2
	die "containerd did not come up on $WORK/containerd.sock"
}

# check_plugins: the plugins this test drives loaded (a disabled dependency turns the tasks service
# into "not implemented" without failing the daemon).
check_plugins() {
	local plugin
	for plugin in "io.containerd.grpc.v1 tasks" "io.containerd.runtime.v2 task" \
		"io.containerd.snapshotter.v1 overlayfs" "io.containerd.grpc.v1 images"; do
		c plugins ls | awk -v t="${plugin% *}" -v id="${plugin#* }" '$1 == t && $2 == id { s = $NF }
			END { exit s != "ok" }' || die "containerd plugin $plugin did not load"
	done
}

# c ARGS...: ctr on our socket and namespace, bounded in time.
c() { timeout "$CTR_TIMEOUT" ctr --connect-timeout 5s -a "$WORK/containerd.sock" -n "$NS" "$@"; }

# remove_containers: kill and delete every task and container left in the namespace.
remove_containers() {
	local id
	for id in $(c tasks ls -q 2>/dev/null); do
		c tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
		c tasks delete -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(c containers ls -q 2>/dev/null); do
		c tasks delete -f "$id" >/dev/null 2>&1 || true
		c containers delete "$id" >/dev/null 2>&1 || true
	done
}

# stop_containerd: containers first, through containerd while it still answers, then containerd.
stop_containerd() {
	[ -n "${CONTAINERD_PID:-}" ] || return 0
	kill -0 "$CONTAINERD_PID" 2>/dev/null && remove_containers
	kill "$CONTAINERD_PID" 2>/dev/null || true
	wait "$CONTAINERD_PID" 2>/dev/null || true
	CONTAINERD_PID=
}





# cleanup: everything the run made, in reverse: containers, containerd, leftover processes,
# mounts under WORK (rootfs snapshots), our tmpfs, the cgroups containers left, the temp dir.
cleanup() {
	local status=$? m
	CLEANING=1
	set +e
	stop_containerd
	kill_leftovers
	while IFS= read -r m; do
		umount -l "$m"
	done < <(awk -v w="$WORK" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	umount /run/containerd 2>/dev/null
	[ -n "${RUN_CREATED:-}" ] && rmdir /run/containerd
	remove_cgroups
	rm -rf "$WORK"
	exit "$status"
}

# build_image: the busybox example's rootfs as an OCI image layout, tarred for import.
build_image() {
	local rootfs=$EXAMPLES/busybox/rootfs
	[ -x "$rootfs/bin/busybox" ] || die "$rootfs/bin/busybox missing (run rootfs-examples/build.sh)"
	"$(dirname "$0")/oci-layout.sh" "$rootfs" "$WORK/layout.tar"
}

import_image() {
	c images import --base-name "${IMAGE%:*}" "$WORK/layout.tar" >"$WORK/logs/import.log" 2>&1 ||
		{ cat "$WORK/logs/import.log" >&2; die "ctr images import failed"; }
	c images ls -q | grep -qx "$IMAGE" || { c images ls >&2; die "$IMAGE not listed after import"; }
	say "imported $IMAGE"
}

# Helpers for the scenarios. Each scenario_NAME runs with RT (runc or slxrun), BIN (its binary),
# P (the container id prefix), RTFLAGS (ctr run's runtime selection) and RUNFLAGS (those and the
# spec options every scenario shares) set, logs to stdout, returns non-zero on failure.

task_field() { c tasks ls 2>/dev/null | awk -v id="$1" -v f="$2" '$1 == id { print $f }'; }
# wait_status ID STATUS: poll ctr's view of the task until it reports STATUS (containerd applies
# a task's exit asynchronously, after the kill returns).
wait_status() {
	for _ in $(seq 1 50); do
		[ "$(task_field "$1" 3)" = "$2" ] && return 0
		sleep 0.1
	done
	echo "  $1 is '$(task_field "$1" 3)', expected $2"
	return 1
}
# known ID: the runtime has state for ID under the root the shim gives it (<runc-root>/<namespace>).
known() { "$BIN" --root "$WORK/runc-root/$RT/$NS" state "$1" >/dev/null 2>&1; }
# gone ID: neither containerd nor the runtime knows ID.
gone() { ! known "$1" && ! c containers ls -q | grep -qx "$1"; }

scenario_run() {
	local out
	out=$(c run --rm "${RUNFLAGS[@]}" "$IMAGE" "$P-id1" echo hello 2>&1)
	echo "  ctr run --rm ... echo hello: exit $?, output: $out"
	expect "output is hello" equals "$out" hello && expect "container removed" gone "$P-id1"
}

# A working directory the image lacks (a Kubernetes workingDir) is made, as runc makes it:
# slxrun failed with chdir ENOENT.
scenario_workdir() {
	local out
	out=$(c run --rm --cwd /made/here "${RUNFLAGS[@]}" "$IMAGE" "$P-id9" pwd 2>&1)
	echo "  ctr run --cwd /made/here ... pwd: exit $?, output: $out"
	expect "the cwd was made" equals "$out" /made/here && expect "container removed" gone "$P-id9"
}

scenario_detached() {
	c run -d "${RUNFLAGS[@]}" "$IMAGE" "$P-id2" sleep 60 || { echo "  ctr run -d failed"; return 1; }
	expect "task RUNNING" wait_status "$P-id2" RUNNING && expect "runtime state found" known "$P-id2"
}

scenario_exec() {
	local out rc
	out=$(c tasks exec --exec-id e1 "$P-id2" echo from-exec 2>&1)
	echo "  ctr task exec: exit $?, output: $out"
	expect "output is from-exec" equals "$out" from-exec || return 1
	rc=0
	c tasks exec --exec-id e2 "$P-id2" sh -c 'exit 5' || rc=$?
	expect "exec exit status 5 reaches ctr" test "$rc" -eq 5
}

# exec with a terminal (kubectl exec -it): the shim passes --console-socket to exec as well.
scenario_exectty() {
	local out
	out=$(timeout "$CTR_TIMEOUT" script -qec "ctr -a $WORK/containerd.sock -n $NS tasks exec -t \
--exec-id e3 $P-id2 tty" /dev/null </dev/null 2>&1 | tr -d '\r')
	echo "  ctr task exec -t ... tty: output: $out"
	expect "exec tty is a /dev/pts/N" matches "$out" "/dev/pts/[0-9]+"
}

scenario_ps() {
	local out pid
	pid=$(task_field "$P-id2" 2)
	out=$(c tasks ps "$P-id2" 2>&1)
	printf '  ctr task ps (init pid %s):\n%s\n' "$pid" "$out"
	expect "init pid listed" matches "$out" "^${pid}[[:space:]]"
}

scenario_pause() {
	local pid
	pid=$(task_field "$P-id2" 2)
	c tasks pause "$P-id2" || { echo "  ctr task pause failed"; return 1; }
	expect "task PAUSED" wait_status "$P-id2" PAUSED &&
		expect "cgroup frozen" wait_frozen "$pid" yes || return 1
	c tasks resume "$P-id2" || { echo "  ctr task resume failed"; return 1; }
	expect "task RUNNING" wait_status "$P-id2" RUNNING && expect "cgroup thawed" wait_frozen "$pid" no
}

scenario_kill() {
	local pid
	pid=$(task_field "$P-id2" 2)
	c tasks kill -s SIGKILL "$P-id2" || { echo "  ctr task kill failed"; return 1; }
	expect "task STOPPED" wait_status "$P-id2" STOPPED || return 1
	c tasks delete "$P-id2" || { echo "  ctr task delete failed"; return 1; }
	c containers delete "$P-id2" || { echo "  ctr container delete failed"; return 1; }
	expect "process $pid gone" eval "! kill -0 $pid 2>/dev/null" && expect "container gone" gone "$P-id2"
}

# kill --all (ctr task kill -a), which the shim also uses for containers sharing a pid namespace:
# the runtime takes the flag and the task stops. (With the container's own pid namespace the
# kernel ends the second sleep with init anyway, so this cannot tell --all from a plain kill.)
scenario_killall() {
	local pid
	c run -d "${RUNFLAGS[@]}" "$IMAGE" "$P-id10" sh -c 'sleep 60 & sleep 60' ||
		{ echo "  ctr run -d failed"; return 1; }
	expect "task RUNNING" wait_status "$P-id10" RUNNING || return 1
	pid=$(task_field "$P-id10" 2)
	c tasks kill -a -s SIGKILL "$P-id10" || { echo "  ctr task kill -a failed"; return 1; }
	expect "task STOPPED" wait_status "$P-id10" STOPPED || return 1
	c tasks delete "$P-id10" >/dev/null || { echo "  ctr task delete failed"; return 1; }
	c containers delete "$P-id10" || { echo "  ctr container delete failed"; return 1; }
	expect "process $pid gone" eval "! kill -0 $pid 2>/dev/null" && expect "container gone" gone "$P-id10"
}

# Signalling a task whose process has exited: the shim still asks the runtime to kill, and
# containerd turns "container not running" (or "no such process") into NotFound by matching
# the runtime's error text, so the user sees "process already finished".
scenario_killexited() {
	local out rc=0
	c run -d "${RUNFLAGS[@]}" "$IMAGE" "$P-id9" true || { echo "  ctr run -d failed"; return 1; }
	expect "task STOPPED" wait_status "$P-id9" STOPPED || return 1
	out=$(c tasks kill -s SIGTERM "$P-id9" 2>&1) || rc=$?
	echo "  ctr task kill of an exited task: exit $rc, output: $out"
	c tasks delete "$P-id9" >/dev/null || { echo "  ctr task delete failed"; return 1; }
	c containers delete "$P-id9" || { echo "  ctr container delete failed"; return 1; }
	expect "ctr fails" test "$rc" -ne 0 && expect "error is NotFound: process already finished" \
		contains "$out" "process already finished: not found" && expect "container gone" gone "$P-id9"
}

scenario_tty() {
	local out
	# script gives ctr a pseudo-terminal as stdin/stdout, so ctr asks for a console socket.
	out=$(timeout "$CTR_TIMEOUT" script -qec "ctr -a $WORK/containerd.sock -n $NS run --rm -t \
${RUNFLAGS[*]} $IMAGE $P-id3 sh -c tty" /dev/null </dev/null 2>&1 | tr -d '\r')
	echo "  ctr run -t ... tty: output: $out"
	expect "tty is /dev/pts/0" contains "$out" /dev/pts/0 && expect "container removed" gone "$P-id3"
}

# The wording matters, not only the meaning: moby lowercases the create error and maps "no such
# file or directory" and "executable file not found" in it to exit status 127 (126 for EACCES).
scenario_fail() {
	local out rc=0
	out=$(c run --rm "${RUNFLAGS[@]}" "$IMAGE" "$P-id4" /nonexistent 2>&1) || rc=$?
	echo "  ctr run ... /nonexistent: exit $rc, output: $out"
	expect "ctr fails" test "$rc" -ne 0 &&
		expect "error names /nonexistent" contains "$out" /nonexistent &&
		expect "error says no such file or directory" contains_ci "$out" "no such file or directory" &&
		expect "container removed" gone "$P-id4"
}

scenario_notfound() {
	local out rc=0
	out=$(c run --rm "${RUNFLAGS[@]}" "$IMAGE" "$P-id7" no-such-command 2>&1) || rc=$?
	echo "  ctr run ... no-such-command: exit $rc, output: $out"
	# shellcheck disable=SC2016 # $PATH is part of runc's message, not ours to expand
	expect "ctr fails" test "$rc" -ne 0 &&
		expect "error says executable file not found in \$PATH" \
			contains "$out" '"no-such-command": executable file not found in $PATH' &&
		expect "container removed" gone "$P-id7"
}

scenario_status() {
	local out rc=0
	out=$(c run --rm "${RUNFLAGS[@]}" "$IMAGE" "$P-id8" sh -c 'echo bye; exit 3' 2>&1) || rc=$?
	echo "  ctr run ... exit 3: exit $rc, output: $out"
	expect "ctr exits 3" test "$rc" -eq 3 && expect "output is bye" equals "$out" bye
}

# ctr's own defaults: the spec carries linux.resources.cpu.shares = 1024.  On a
# hybrid host whose cgroup v2 hierarchy has no cpu controller, slxrun (v2 only)
# refuses the limit with a line naming it rather than dropping it; runc applies
# it through v1.  That refusal is what is checked there; elsewhere, the run.
scenario_shares() {
	local out rc=0 unified=/sys/fs/cgroup/unified/cgroup.controllers
	out=$(c run --rm "${RTFLAGS[@]}" "$IMAGE" "$P-id6" echo hello 2>&1) || rc=$?
	echo "  ctr run --rm (cpu shares 1024) ... echo hello: exit $rc, output: $out"
	if [ "$RT" = slxrun ] && [ -f "$unified" ] && ! grep -qw cpu "$unified"; then
		expect "ctr fails" test "$rc" -ne 0 &&
			expect "error names the unavailable controller" contains "$out" \
				'linux.resources.cpu: the cpu controller is not available in cgroup v2 on this host' &&
			expect "container removed" gone "$P-id6"
		return
	fi
	expect "output is hello" equals "$out" hello && expect "container removed" gone "$P-id6"
}

scenario_badflag() {
	local rc=0 log=$WORK/logs/$RT-badflag.json
	"$BIN" --root "$WORK/badflag-$RT" --log "$log" --log-format json create --bogus-flag \
		--bundle "$EXAMPLES/busybox" "$P-id5" >/dev/null 2>&1 || rc=$?
	echo "  $RT create --bogus-flag: exit $rc, log.json: $(cat "$log" 2>/dev/null)"
	expect "exits non-zero" test "$rc" -ne 0 &&
		expect "error line names the flag" eval "grep '\"level\":\"error\"' '$log' | grep -q bogus-flag" &&
		expect "nothing created" eval "! [ -e '$WORK/badflag-$RT/$P-id5' ]"
}

# diagnose FROM: what containerd and the shim said since line FROM of containerd's log, and the
# log.json of any bundle still there, for a failure.
diagnose() {
	local f
	say "--- containerd log (warnings and errors) during the scenario:"
	tail -n +"$1" "$WORK/logs/containerd.log" | grep -v 'level=debug' | grep -v 'level=info' | tail -n 15 >&2
	while IFS= read -r f; do
		say "--- $f:"
		tail -n 5 "$f" >&2
	done < <(find "$WORK/state" -name log.json -path "*/$P-*" 2>/dev/null)
}

# run_runtime RT: every scenario with RT as the shim's BinaryName; results into RESULT[RT,NAME].
run_runtime() {
	local scenario log from
	RT=$1
	case $RT in
	runc) BIN=$(config_binary runc-control) ;;
	slxrun) BIN=$(config_binary slx) ;;
	*) die "unknown runtime $RT" ;;
	esac
	[ -x "$BIN" ] || die "$RT binary $BIN is missing"
	P=$RT
	RTFLAGS=(--runtime io.containerd.runc.v2 --runc-binary "$BIN" --runc-root "$WORK/runc-root/$RT")
	# --cpu-shares 0: ctr otherwise puts cpu.shares=1024 in every spec (scenario_shares runs that).
	RUNFLAGS=("${RTFLAGS[@]}" --cpu-shares 0)
	say "$RT ($BIN)"
	for scenario in $SCENARIOS; do
		log=$WORK/logs/$RT-$scenario.log
		from=$(($(wc -l <"$WORK/logs/containerd.log") + 1))
		if "scenario_$scenario" >"$log" 2>&1; then
			RESULT[$RT,$scenario]=ok
			[ "${VERBOSE:-}" = 1 ] && cat "$log" >&2
		else
			RESULT[$RT,$scenario]=FAIL
			say "$RT: $scenario FAILED:"
			cat "$log" >&2
			diagnose "$from"
		fi
		say "$RT: $scenario: ${RESULT[$RT,$scenario]}"
	done
	remove_containers
}

# report: the table; fails when slxrun fails what runc passes.
report() {
	local scenario rt broken="" regressions=""
	printf '\n%-10s' scenario
	for rt in $RUNTIMES; do printf ' %-8s' "$rt"; done
	printf '\n'
	for scenario in $SCENARIOS; do
		printf '%-10s' "$scenario"
		for rt in $RUNTIMES; do printf ' %-8s' "${RESULT[$rt,$scenario]:-skip}"; done
		printf '\n'
		[ "${RESULT[runc,$scenario]:-}" = FAIL ] && broken="$broken $scenario"
		[ "${RESULT[runc,$scenario]:-}" = ok ] && [ "${RESULT[slxrun,$scenario]:-}" = FAIL ] &&
			regressions="$regressions $scenario"
	done
	[ -z "$broken" ] || say "the control (runc) fails:$broken: the host or containerd, not slxrun"
	[ -z "$regressions" ] || { say "slxrun fails what runc passes:$regressions"; return 1; }
	return 0
}

main() {
	"$(dirname "$0")/../deps.sh" containerd runc bsdutils util-linux
	enter_namespace "$@"
	setup_namespace
	write_config
	start_containerd
	check_plugins
	say "containerd $(containerd --version | awk '{ print $3 }') on $WORK/containerd.sock"
	build_image
	import_image
	declare -gA RESULT=()
	local rt
	for rt in $RUNTIMES; do run_runtime "$rt"; done
	report
}

main "$@"
