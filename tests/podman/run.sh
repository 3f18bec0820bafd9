#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh -- slxrun as podman's OCI runtime (podman --runtime, through conmon), every scenario run
# first with Debian's runc as the control.
#
# Usage: tests/podman/run.sh SLXRUN EXAMPLES     (make test-podman passes ./slxrun, build/examples)
# EXAMPLES must hold the busybox bundle (rootfs-examples/build.sh EXAMPLES builds it).
# Knobs (environment): RUNTIMES (default "runc slxrun"), VERBOSE=1 prints every check, not only
# the failing ones.
#
# The whole test runs as pid 1 of a private mount + pid namespace: podman's conmons and the
# containers die with it. podman keeps its storage (--root), run-time state (--runroot) and
# --tmpdir under a temp dir and reads a private containers.conf (CONTAINERS_CONF). podman gives
# the runtime no --root, so runc keeps its state in /run/runc and slxrun in /run/slxrun: a tmpfs
# over each keeps those private too.
#
# This host: no CAP_SYS_RESOURCE, so podman's default ulimits (raised RLIMIT_NOFILE/NPROC) would
# fail with every runtime; pids is a v1 controller here, so podman's default pids limit (2048)
# cannot be set through cgroup v2: containers.conf clears both. cgroupfs, not systemd, manages
# cgroups (no systemd in the namespace); events go to a file. --network none: no CNI here.
# With these, every scenario below runs with runc; none is host-limited.
set -eu

SUITE=podman
SUITE_CGROUP=libpod_parent
. "$(cd "$(dirname "$0")" && pwd)/../lib/client_suite.sh"

[ $# -eq 2 ] || { echo "usage: $0 SLXRUN EXAMPLES" >&2; exit 2; }
SLXRUN=$(realpath "$1")
EXAMPLES=$(realpath "$2")
RUNTIMES=${RUNTIMES:-"runc slxrun"}
IMAGE=localhost/slxtest/busybox:latest
SCENARIOS="run status tty detached exec logs ps top pause kill stop fail device user rmclean"
# Every podman call is bounded, so a runtime that hangs fails its scenario instead of the test.
PODMAN_TIMEOUT=30




# private_run DIR: a tmpfs over DIR (created, and later removed, when missing).
private_run() {
	if [ ! -d "$1" ]; then
		mkdir -p "$1"
		RUN_CREATED="${RUN_CREATED:-} $1"
	fi
	mount -t tmpfs -o mode=0700 slx-podman-run "$1"
}

setup_namespace() {
	mount --make-rprivate /
	WORK=$(mktemp -d /tmp/slx-podman.XXXXXX)
	PRE_CGROUPS=" $(for d in $(cgroup_parents); do [ -e "$d" ] && echo "$d"; done | tr '\n' ' ') "
	trap cleanup EXIT
	trap interrupted INT TERM
	private_run /run/runc
	private_run /run/slxrun
	mkdir -p "$WORK/root" "$WORK/runroot" "$WORK/tmp" "$WORK/logs"
}

# write_config: what podman needs on this host, and the two runtimes as a user would register
# them (the [engine.runtimes] table the README shows); `--runtime NAME` picks one.
write_config() {
	cat >"$WORK/containers.conf" <<-EOF
		[containers]
		default_ulimits = []
		pids_limit = 0

		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"

		[engine.runtimes]
		slxrun = ["$SLXRUN"]
		runc = ["$(command -v runc)"]
	EOF
	export CONTAINERS_CONF=$WORK/containers.conf
}

# p ARGS...: podman on our roots, bounded in time.
p() {
	timeout "$PODMAN_TIMEOUT" podman --root "$WORK/root" --runroot "$WORK/runroot" \
		--tmpdir "$WORK/tmp" --storage-driver vfs "$@"
}





# cleanup: containers through podman, leftover processes, mounts under WORK and our tmpfs,
# the cgroups containers left, the temp dir.
cleanup() {
	local status=$? m d
	CLEANING=1
	set +e
	p rm -af -t 0 >/dev/null 2>&1
	kill_leftovers $(find /sys/fs/cgroup/*/libpod_parent -depth -type d 2>/dev/null)
	while IFS= read -r m; do
		umount -l "$m"
	done < <(awk -v w="$WORK" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	umount /run/runc /run/slxrun 2>/dev/null
	for d in ${RUN_CREATED:-}; do rmdir "$d"; done
	remove_cgroups
	rm -rf "$WORK"
	exit "$status"
}

# import_image: the busybox example's rootfs as a one-layer image (podman import of a tar).
import_image() {
	local rootfs=$EXAMPLES/busybox/rootfs
	[ -x "$rootfs/bin/busybox" ] || die "$rootfs/bin/busybox missing (run rootfs-examples/build.sh)"
	tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$rootfs" \
		-cf "$WORK/busybox.tar" .
	p import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' "$WORK/busybox.tar" "$IMAGE" \
		>"$WORK/logs/import.log" 2>&1 || { cat "$WORK/logs/import.log" >&2; die "podman import failed"; }
	p image exists "$IMAGE" || die "$IMAGE not listed after import"
	say "imported $IMAGE"
}

# Helpers for the scenarios. Each scenario_NAME runs with RT (runc or slxrun), P (the container
# name prefix) and RUNFLAGS (the runtime and the flags every run shares) set, logs to stdout,
# returns non-zero on failure.

state_of() { p inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
wait_state() { # wait_state NAME STATUS: podman applies an exit asynchronously (conmon).
	for _ in $(seq 1 50); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "  $1 is '$(state_of "$1")', expected $2"
	return 1
}
pid_of() { p inspect -f '{{.State.Pid}}' "$1" 2>/dev/null; }
# A long-running container that ends on SIGTERM (a plain sleep as pid 1 ignores it).
SERVER=(sh -c 'echo started; trap "exit 0" TERM; sleep 60 & wait')

scenario_run() {
	local out rc=0
	out=$(p run --rm "${RUNFLAGS[@]}" "$IMAGE" echo hello 2>&1) || rc=$?
	echo "  podman run --rm ... echo hello: exit $rc, output: $out"
	expect "exit 0" test "$rc" -eq 0 && expect "output is hello" equals "$out" hello
}

scenario_status() {
	local out rc=0
	out=$(p run --rm "${RUNFLAGS[@]}" "$IMAGE" sh -c 'echo bye; exit 3' 2>&1) || rc=$?
	echo "  podman run ... exit 3: exit $rc, output: $out"
	expect "podman exits 3" test "$rc" -eq 3 && expect "output is bye" equals "$out" bye
}

# script gives podman a pseudo-terminal, so -t makes the runtime set up a console (conmon's
# --console-socket).
scenario_tty() {
	local out
	out=$(timeout "$PODMAN_TIMEOUT" script -qec "podman --root $WORK/root --runroot $WORK/runroot \
--tmpdir $WORK/tmp --storage-driver vfs run --rm -t ${RUNFLAGS[*]} $IMAGE tty" /dev/null \
		</dev/null 2>&1 | tr -d '\r')
	echo "  podman run -t ... tty: output: $out"
	expect "tty is /dev/pts/0" contains "$out" /dev/pts/0
}

scenario_detached() {
	p run -d --name "$P-d" "${RUNFLAGS[@]}" "$IMAGE" "${SERVER[@]}" >/dev/null ||
		{ echo "  podman run -d failed"; return 1; }
	expect "container running" wait_state "$P-d" running
}

scenario_exec() {
	local out rc=0
	out=$(p exec "$P-d" echo from-exec 2>&1) || rc=$?
	echo "  podman exec: exit $rc, output: $out"
	expect "output is from-exec" equals "$out" from-exec || return 1
	rc=0
	p exec "$P-d" sh -c 'exit 5' || rc=$?
	expect "exec exit status 5 reaches podman" test "$rc" -eq 5 || return 1
	out=$(timeout "$PODMAN_TIMEOUT" script -qec "podman --root $WORK/root --runroot $WORK/runroot \
--tmpdir $WORK/tmp --storage-driver vfs exec -t $P-d tty" /dev/null </dev/null 2>&1 | tr -d '\r')
	echo "  podman exec -t ... tty: output: $out"
	expect "exec tty is a /dev/pts/N" matches "$out" "/dev/pts/[0-9]+"
}

scenario_logs() {
	local out
	out=$(p logs "$P-d" 2>&1)
	echo "  podman logs: $out"
	expect "logs hold the container's output" equals "$out" started
}

scenario_ps() {
	local out
	out=$(p ps --format '{{.Names}} {{.Status}}' 2>&1)
	echo "  podman ps: $out"
	expect "listed as Up" matches "$out" "^$P-d Up"
}

scenario_top() {
	local out
	out=$(p top "$P-d" pid args 2>&1)
	printf '  podman top:\n%s\n' "$out"
	expect "pid 1 is the container's sh" matches "$out" "^1 +sh -c" &&
		expect "the sleep is listed" matches "$out" "sleep 60"
}

scenario_pause() {
	local pid
	pid=$(pid_of "$P-d")
	p pause "$P-d" >/dev/null || { echo "  podman pause failed"; return 1; }
	expect "container paused" wait_state "$P-d" paused && expect "cgroup frozen" wait_frozen "$pid" yes ||
		return 1
	p unpause "$P-d" >/dev/null || { echo "  podman unpause failed"; return 1; }
	expect "container running" wait_state "$P-d" running && expect "cgroup thawed" wait_frozen "$pid" no
}

scenario_kill() {
	local pid code
	pid=$(pid_of "$P-d")
	p kill -s KILL "$P-d" >/dev/null || { echo "  podman kill failed"; return 1; }
	expect "container exited" wait_state "$P-d" exited || return 1
	code=$(p inspect -f '{{.State.ExitCode}}' "$P-d")
	expect "exit code 137 (SIGKILL)" test "$code" = 137 &&
		expect "process $pid gone" eval "! kill -0 $pid 2>/dev/null" &&
		expect "podman rm" p rm "$P-d"
}

scenario_stop() {
	local code
	p run -d --name "$P-s" "${RUNFLAGS[@]}" "$IMAGE" "${SERVER[@]}" >/dev/null ||
		{ echo "  podman run -d failed"; return 1; }
	expect "container running" wait_state "$P-s" running || return 1
	p stop -t 10 "$P-s" >/dev/null || { echo "  podman stop failed"; return 1; }
	code=$(p inspect -f '{{.State.ExitCode}}' "$P-s")
	expect "SIGTERM reached the trap: exit code 0" test "$code" = 0 &&
		expect "podman rm" p rm "$P-s" &&
		expect "gone from podman ps -a" eval "! p ps -a --format '{{.Names}}' | grep -qx '$P-s'"
}

# podman writes linux.devices[].fileMode with the node's type bits (020666): every --device
# (and --privileged) was refused.
scenario_device() {
	local out rc=0
	out=$(p run --rm "${RUNFLAGS[@]}" --device /dev/null:/dev/xnull "$IMAGE" \
		sh -c 'test -c /dev/xnull && echo x > /dev/xnull && echo usable' 2>&1) || rc=$?
	echo "  podman run --device /dev/null:/dev/xnull ...: exit $rc, output: $out"
	expect "exit 0" test "$rc" -eq 0 && expect "the device is usable" equals "$out" usable
}

# A non-root process reopens its own stdout (/dev/stdout is /proc/self/fd/1, conmon's pipe):
# denied until the runtime gave the pipe to the process's user, as runc does.
scenario_user() {
	local out rc=0
	out=$(p run --rm "${RUNFLAGS[@]}" --user 1000:1000 "$IMAGE" \
		sh -c 'echo to-stdout > /dev/stdout; id -u' 2>&1) || rc=$?
	echo "  podman run --user 1000 ... > /dev/stdout: exit $rc, output: $out"
	expect "exit 0" test "$rc" -eq 0 && expect "written as uid 1000" equals "$out" "to-stdout
1000"
}

# The wording matters, not only the meaning: podman maps "no such file or directory" in the
# runtime's create error to exit status 127 and prints the error.
scenario_fail() {
	local out rc=0
	out=$(p run --rm "${RUNFLAGS[@]}" "$IMAGE" /nonexistent 2>&1) || rc=$?
	echo "  podman run ... /nonexistent: exit $rc, output: $out"
	expect "podman exits 127 (command not found)" test "$rc" -eq 127 &&
		expect "error names /nonexistent" contains "$out" /nonexistent &&
		expect "error says no such file or directory" contains_ci "$out" "no such file or directory"
}

# run --rm leaves nothing: no container in podman, no runtime state, no cgroup, no mount.
scenario_rmclean() {
	local id out
	id=$(p create --rm --name "$P-rm" "${RUNFLAGS[@]}" "$IMAGE" echo clean) ||
		{ echo "  podman create failed"; return 1; }
	out=$(p start -a "$P-rm" 2>&1)
	echo "  podman start -a (--rm) $id: output: $out"
	expect "output is clean" equals "$out" clean || return 1
	for _ in $(seq 1 50); do
		p container exists "$id" || break
		sleep 0.1
	done
	expect "gone from podman ps -a" eval "! p ps -a --no-trunc --format '{{.ID}}' | grep -qx '$id'" &&
		expect "no runtime state" eval "! [ -e /run/$RT/$id ]" &&
		expect "no cgroup" eval "[ -z \"\$(find /sys/fs/cgroup/ -maxdepth 3 -name '*$id*')\" ]" &&
		expect "no mount" eval "! grep -q '$id' /proc/self/mountinfo"
}

run_runtime() {
	local scenario log
	RT=$1
	P=$RT
	RUNFLAGS=(--runtime "$RT" --network none --pull never)
	say "$RT ($(awk -v rt="$RT" '$1 == rt { gsub(/[]["]/, "", $3); print $3 }' "$WORK/containers.conf"))"
	for scenario in $SCENARIOS; do
		log=$WORK/logs/$RT-$scenario.log
		if "scenario_$scenario" >"$log" 2>&1; then
			RESULT[$RT,$scenario]=ok
			[ "${VERBOSE:-}" = 1 ] && cat "$log" >&2
		else
			RESULT[$RT,$scenario]=FAIL
			say "$RT: $scenario FAILED:"
			cat "$log" >&2
		fi
		say "$RT: $scenario: ${RESULT[$RT,$scenario]}"
	done
	p rm -af -t 0 >/dev/null 2>&1 || true
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
	[ -z "$broken" ] || say "the control (runc) fails:$broken: the host or podman, not slxrun"
	[ -z "$regressions" ] || { say "slxrun fails what runc passes:$regressions"; return 1; }
	return 0
}

main() {
	"$(dirname "$0")/../deps.sh" podman conmon runc bsdutils util-linux
	enter_namespace "$@"
	setup_namespace
	write_config
	say "podman $(podman --version | awk '{ print $3 }'), conmon $(conmon --version | awk 'NR == 1 { print $3 }'), on $WORK"
	import_image
	declare -gA RESULT=()
	local rt
	for rt in $RUNTIMES; do run_runtime "$rt"; done
	report
}

main "$@"
