#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# client_suite.sh -- what the whole-client suites (tests/containerd, tests/podman) share, sourced
# by them: messages, the private mount + pid namespace they run in, the cgroups a run created and
# their removal, the checks, and the freezer probe.  The sourcing script sets SUITE (its name in
# messages), SUITE_CGROUP (the directory its client puts containers under in each hierarchy) and,
# once inside, PRE_CGROUPS (" dir dir ... ": the parents that existed before the run).

say() { printf '%s-test: %s\n' "$SUITE" "$*" >&2; }
die() { say "$*"; exit 1; }

# enter_namespace ARGS...: re-run the sourcing script as pid 1 of a new mount + pid namespace.
enter_namespace() {
	[ "${SLX_SUITE_INSIDE:-}" = 1 ] && return 0
	SLX_SUITE_INSIDE=1 exec unshare --mount --pid --fork --mount-proc "$BASH" "$0" "$@"
}

# cgroup_parents: SUITE_CGROUP in every hierarchy; cleanup removes the ones the run created.
cgroup_parents() {
	local d
	for d in /sys/fs/cgroup/*/; do
		[ -d "$d" ] && echo "${d%/}/$SUITE_CGROUP"
	done
}

# our_cgroups: the cgroup directories this run created, deepest first.
our_cgroups() {
	local d
	for d in $(cgroup_parents); do
		case $PRE_CGROUPS in *" $d "*) continue ;; esac
		[ -d "$d" ] && find "$d" -depth -type d
	done
}

# kill_leftovers [CGROUP...]: every process in this pid namespace but us; the cgroups this run
# made, and any named, are thawed first, since a task in a frozen v1 freezer cgroup does not act
# on SIGKILL.
kill_leftovers() {
	local d p
	for d in $(our_cgroups) "$@"; do
		[ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state"
		[ -f "$d/cgroup.freeze" ] && echo 0 >"$d/cgroup.freeze"
	done
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] || kill -KILL "${p#/proc/}" 2>/dev/null
	done
}

# remove_cgroups: rmdir what this run created; a killed process leaves its cgroup once reaped.
remove_cgroups() {
	local d
	for _ in $(seq 1 50); do
		for d in $(our_cgroups); do rmdir "$d" 2>/dev/null; done
		[ -z "$(our_cgroups)" ] && return 0
		sleep 0.1
	done
	say "cleanup: could not remove cgroups: $(our_cgroups | tr '\n' ' ')"
}

# interrupted: stop the run, which then cleans up; a signal during cleanup must not cut it short.
interrupted() {
	[ -n "${CLEANING:-}" ] && return 0
	exit 130
}

expect() { # expect DESCRIPTION COMMAND...: run a check, log it, fail the scenario when it fails.
	local what=$1
	shift
	if "$@"; then echo "  ok: $what"; else echo "  FAILED: $what"; return 1; fi
}
contains() { case $1 in *"$2"*) return 0 ;; esac; return 1; }
contains_ci() { contains "${1,,}" "${2,,}"; }
matches() { printf '%s' "$1" | grep -Eq "$2"; }
equals() { [ "$1" = "$2" ]; }

# frozen PID: the process's cgroup says it is frozen, in whichever hierarchy holds its freezer
# (runc on the hybrid host: v1 freezer.state; slxrun, or runc on cgroup2: cgroup.events).
frozen() {
	local line ctrls path mnt
	while IFS= read -r line; do
		ctrls=${line#*:}; path=${ctrls#*:}; ctrls=${ctrls%%:*}
		if [ -z "$ctrls" ]; then
			for mnt in /sys/fs/cgroup /sys/fs/cgroup/unified; do
				[ "$(stat -f -c %T "$mnt" 2>/dev/null)" = cgroup2fs ] || continue
				grep -qx 'frozen 1' "$mnt$path/cgroup.events" 2>/dev/null && return 0
			done
		elif contains ",$ctrls," ",freezer,"; then
			grep -qx FROZEN "/sys/fs/cgroup/freezer$path/freezer.state" 2>/dev/null && return 0
		fi
	done <"/proc/$1/cgroup"
	return 1
}
wait_frozen() { # wait_frozen PID yes|no: a freeze settles once every task has stopped.
	for _ in $(seq 1 20); do
		if frozen "$1"; then [ "$2" = yes ] && return 0; else [ "$2" = no ] && return 0; fi
		sleep 0.1
	done
	return 1
}
