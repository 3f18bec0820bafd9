#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# containerd.sh -- in the test VM (pure cgroup v2, every controller): Debian's containerd 1.6 with
# its runc.v2 shim and ctr, on private paths with CRI disabled, the busybox image imported from
# /slx/busybox-layout.tar, and containers with resource limits run through the shim with runc
# (the control) and then slxrun as its BinaryName. One [PASS]/[FAIL] line per check; exits 1 when
# any check fails, for either runtime.
#
# Per runtime: `ctr run -d --memory-limit --cpus --cpu-shares` and the limits in the container's
# own cgroup files; `ctr task metrics` reporting that cgroup's counters; a live update of the
# limits (containerd's task Update request, sent to the task's shim by /slx/bin/task-update, since
# ctr 1.6 has no verb for it); `ctr task pause`/`resume` freezing the cgroup; a pids limit given
# at create (`ctr run --config`, as ctr has no pids flag) holding a burst of forks; a memory hog
# OOM-killed and the /tasks/oom event reaching `ctr events`; nothing left in the cgroup tree. The
# limit files slxrun leaves in the cgroup after create and after the update must be runc's.
# shellcheck disable=SC2317,SC2086 # checks run through check(); $RTF is several words on purpose
export PATH="/slx/bin:$PATH"
NS=slxtest
W=/run/slx-ctrd
IMAGE=localhost/slxtest/busybox:latest
RUNTIMES=${SLX_CTRD_RUNTIMES:-"runc slxrun"}
rc=0

pass() { echo "[PASS] containerd::$RT::$1"; }
fail() {
	echo "[FAIL] containerd::$RT::$1"
	rc=1
}
# check NAME COMMAND...: one line for the check, then what COMMAND said when it failed; fails
# the suite and returns 1 when COMMAND fails. COMMAND runs in a subshell: checks change nothing.
check() {
	name=$1
	shift
	if detail=$("$@" 2>&1); then
		pass "$name"
		return 0
	fi
	fail "$name"
	[ -n "$detail" ] && printf '%s\n' "$detail" | sed 's/^/SLX-VM:     /'
	return 1
}
# is WHAT GOT WANT: GOT equals WANT, or a line saying what it was instead.
is() {
	[ "$2" = "$3" ] && return 0
	echo "  $1 is '$2', expected '$3'"
	return 1
}
# between WHAT GOT LOW HIGH: a number within [LOW, HIGH].
between() {
	case $2 in '' | *[!0-9]*)
		echo "  $1 is '$2', not a number"
		return 1
		;;
	esac
	[ "$2" -ge "$3" ] && [ "$2" -le "$4" ] && return 0
	echo "  $1 is $2, expected within [$3, $4]"
	return 1
}

# c ARGS...: ctr on our socket and namespace, bounded in time.
c() { timeout 60 ctr --connect-timeout 5s -a "$W/containerd.sock" -n "$NS" "$@"; }
task_field() { c tasks ls 2>/dev/null | awk -v id="$1" -v f="$2" '$1 == id { print $f }'; }
# wait_status ID STATUS: containerd applies a task's state changes asynchronously.
wait_status() {
	for _ in $(seq 1 100); do
		[ "$(task_field "$1" 3)" = "$2" ] && return 0
		sleep 0.2
	done
	echo "  $1 is '$(task_field "$1" 3)', expected $2"
	return 1
}
matches() {
	printf '%s' "$1" | grep -Eq "$2" && return 0
	echo "  '$1' does not match $2"
	return 1
}
# cgroup_of PID: the process's cgroup v2 path.
cgroup_of() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }
# metric NAME: a value from the last `ctr task metrics` table in $METRICS.
metric() { echo "$METRICS" | awk -v k="$1" '$1 == k { print $2 }'; }
# frozen CG yes|no: cgroup.events says so within 4 s.
frozen() {
	want=1
	[ "$2" = no ] && want=0
	for _ in $(seq 1 20); do
		grep -qx "frozen $want" "$1/cgroup.events" && return 0
		sleep 0.2
	done
	echo "  $1/cgroup.events: $(tr '\n' ' ' <"$1/cgroup.events")"
	return 1
}
# gone ID CG: containerd knows no container ID and its cgroup directory is removed.
gone() {
	for _ in $(seq 1 25); do
		! c containers ls -q | grep -qx "$1" && [ ! -d "$2" ] && return 0
		sleep 0.2
	done
	echo "  container $1 or cgroup $2 still there"
	return 1
}
# cgfiles CG NAME: the limit files of cgroup CG ("file: value" lines) into $W/cg-$RT-NAME.
CGFILES="memory.max memory.high memory.low memory.min memory.swap.max memory.oom.group cpu.max
cpu.weight cpu.weight.nice cpuset.cpus cpuset.mems pids.max io.weight"
cgfiles() {
	for f in $CGFILES; do
		[ -e "$1/$f" ] && echo "$f: $(tr '\n' ' ' <"$1/$f")"
	done >"$W/cg-$RT-$2"
}
# as_runc NAME: this runtime's cgroup files at NAME are runc's (the control's) for the same spec.
as_runc() {
	diff "$W/cg-runc-$1" "$W/cg-$RT-$1"
}
# remove ID: kill, delete the task, delete the container, quietly, if containerd still has it.
remove() {
	c containers ls -q | grep -qx "$1" || return 0
	c tasks kill -s SIGKILL "$1" >/dev/null 2>&1 && wait_status "$1" STOPPED >/dev/null 2>&1
	c tasks delete "$1" >/dev/null 2>&1
	c containers delete "$1" >/dev/null 2>&1
}

start_containerd() {
	mkdir -p "$W/root" "$W/state" "$W/opt" "$W/runc-root"
	cat >"$W/config.toml" <<-EOF
		version = 2
		root = "$W/root"
		state = "$W/state"
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
		  address = "$W/containerd.sock"

		[plugins."io.containerd.internal.v1.opt"]
		  path = "$W/opt"
	EOF
	containerd --config "$W/config.toml" >"$W/containerd.log" 2>&1 &
	CONTAINERD_PID=$!
	for _ in $(seq 1 150); do
		[ -S "$W/containerd.sock" ] && c version >/dev/null 2>&1 && return 0
		kill -0 "$CONTAINERD_PID" 2>/dev/null || break
		sleep 0.2
	done
	tail -n 20 "$W/containerd.log"
	return 1
}

# limits: the flags ctr turns into linux.resources, in the container's own cgroup; metrics;
# a live update; pause and resume.
scenario_limits() {
	id=$RT-lim
	if ! c run -d $RTF --memory-limit 67108864 --cpus 0.5 --cpu-shares 512 "$IMAGE" "$id" \
		sleep 600; then
		fail "run -d --memory-limit 64M --cpus 0.5 --cpu-shares 512"
		return
	fi
	check "task running" wait_status "$id" RUNNING || return
	pid=$(task_field "$id" 2)
	cgpath=$(cgroup_of "$pid")
	cg=/sys/fs/cgroup$cgpath
	check "cgroup is the one containerd named" is cgroup "$cgpath" "/$NS/$id"
	check "memory.max is --memory-limit" is memory.max "$(cat "$cg/memory.max")" 67108864
	check "cpu.max is --cpus 0.5" is cpu.max "$(cat "$cg/cpu.max")" "50000 100000"
	# runc's conversion of cpu.shares 512: 1 + ((512 - 2) * 9999) / 262142.
	check "cpu.weight is --cpu-shares 512 converted" is cpu.weight "$(cat "$cg/cpu.weight")" 20
	cgfiles "$cg" create
	[ "$RT" != runc ] && [ -f "$W/cg-runc-create" ] &&
		check "cgroup files are runc's after create" as_runc create

	METRICS=$(c tasks metrics "$id" 2>&1)
	echo "$METRICS" | sed 's/^/SLX-VM:   metrics: /'
	check "metrics: memory.usage_limit is the container's" \
		is memory.usage_limit "$(metric memory.usage_limit)" 67108864
	check "metrics: memory.usage within the container's limit" \
		between memory.usage "$(metric memory.usage)" 1 67108864
	check "metrics: pids.current is the container's" \
		is pids.current "$(metric pids.current)" "$(cat "$cg/pids.current")"
	check "metrics: cpu.usage_usec counted" between cpu.usage_usec "$(metric cpu.usage_usec)" 1 \
		"$(awk '$1 == "usage_usec" { print $2 }' "$cg/cpu.stat")"

	addr=$(cat "$W/state/io.containerd.runtime.v2.task/$NS/$id/address")
	out=$(task-update "$addr" "$id" '{"memory":{"limit":134217728,"swap":268435456},
		"cpu":{"shares":256,"quota":25000,"period":100000},"pids":{"limit":30}}' "$NS" 2>&1)
	check "task update answered: $out" is update "$out" ok
	check "update: memory.max follows" is memory.max "$(cat "$cg/memory.max")" 134217728
	check "update: memory.swap.max is swap - limit" \
		is memory.swap.max "$(cat "$cg/memory.swap.max")" 134217728
	check "update: cpu.max follows" is cpu.max "$(cat "$cg/cpu.max")" "25000 100000"
	check "update: cpu.weight follows shares 256" is cpu.weight "$(cat "$cg/cpu.weight")" 10
	check "update: pids.max follows" is pids.max "$(cat "$cg/pids.max")" 30
	# A period below the kernel's 1 ms: the runtime's refusal reaches the caller, nothing changes.
	out=$(task-update "$addr" "$id" '{"cpu":{"quota":1000,"period":100}}' "$NS" 2>&1)
	check "update refused by the kernel fails: $out" matches "$out" '^error [0-9]+: .+'
	check "refused update: cpu.max unchanged" is cpu.max "$(cat "$cg/cpu.max")" "25000 100000"
	cgfiles "$cg" update
	[ "$RT" != runc ] && [ -f "$W/cg-runc-update" ] &&
		check "cgroup files are runc's after update" as_runc update
	METRICS=$(c tasks metrics "$id" 2>&1)
	check "update: metrics show the new limit" \
		is memory.usage_limit "$(metric memory.usage_limit)" 134217728

	if c tasks pause "$id"; then
		check "pause: task PAUSED" wait_status "$id" PAUSED
		check "pause: cgroup frozen" frozen "$cg" yes
	else
		fail "ctr task pause"
	fi
	if c tasks resume "$id"; then
		check "resume: task RUNNING" wait_status "$id" RUNNING
		check "resume: cgroup thawed" frozen "$cg" no
	else
		fail "ctr task resume"
	fi

	c tasks kill -s SIGKILL "$id" && wait_status "$id" STOPPED && c tasks delete "$id" >/dev/null &&
		c containers delete "$id"
	check "kill and delete: container and cgroup gone" gone "$id" "$cg"
	remove "$id"
}

# pids: a spec whose linux.resources.pids.limit is 16 (ctr run --config: the spec as given), and
# an exec that forks 40 sleeps into it.
scenario_pids() {
	id=$RT-pids
	cg=/sys/fs/cgroup/$NS/$id
	cat >"$W/pids-$RT.json" <<-EOF
		{
		  "ociVersion": "1.0.2",
		  "process": {
		    "user": {"uid": 0, "gid": 0},
		    "args": ["sleep", "600"],
		    "env": ["PATH=/bin"],
		    "cwd": "/",
		    "capabilities": {
		      "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]
		    },
		    "noNewPrivileges": true
		  },
		  "root": {"path": "/slx/examples/busybox/rootfs", "readonly": true},
		  "mounts": [
		    {"destination": "/proc", "type": "proc", "source": "proc"},
		    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}
		  ],
		  "linux": {
		    "cgroupsPath": "/$NS/$id",
		    "resources": {"pids": {"limit": 16}},
		    "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
		  }
		}
	EOF
	if ! c run -d $RTF --config "$W/pids-$RT.json" "$id"; then
		fail "run -d --config (pids.limit 16)"
		return
	fi
	check "pids: task running" wait_status "$id" RUNNING || {
		remove "$id"
		return
	}
	check "pids.max is the spec's limit" is pids.max "$(cat "$cg/pids.max")" 16
	# shellcheck disable=SC2016 # the container's shell expands it
	c tasks exec --exec-id forks "$id" sh -c \
		'i=0; while [ $i -lt 40 ]; do sleep 60 & i=$((i + 1)); done' >/dev/null 2>&1
	check "pids: forks past the limit refused" between "pids.events max" \
		"$(awk '$1 == "max" { print $2 }' "$cg/pids.events")" 1 1000000
	check "pids: pids.current held at the limit" between pids.current \
		"$(cat "$cg/pids.current")" 2 16
	remove "$id"
	check "pids: container and cgroup gone" gone "$id" "$cg"
}

# oom: a memory hog past --memory-limit 32M is OOM-killed; the shim's /tasks/oom event for the
# container reaches `ctr events`.
scenario_oom() {
	id=$RT-oom
	# Not through c(): $! must be ctr itself (busybox timeout execs it) for the kill below.
	timeout 60 ctr -a "$W/containerd.sock" -n "$NS" events >"$W/events-$RT.log" 2>&1 &
	events=$!
	sleep 1
	c run --rm $RTF --memory-limit 33554432 "$IMAGE" "$id" sh -c 'head -c 104857600 /dev/zero | tail'
	status=$?
	check "oom: the hog is SIGKILLed (exit 137)" is "ctr run exit status" "$status" 137
	for _ in $(seq 1 25); do
		grep -q "/tasks/oom.*\"$id\"" "$W/events-$RT.log" && break
		sleep 0.2
	done
	kill "$events" 2>/dev/null
	wait "$events" 2>/dev/null
	grep "/tasks/oom\|/tasks/exit" "$W/events-$RT.log" | sed 's/^/SLX-VM:   event: /'
	check "oom: /tasks/oom event for $id in ctr events" grep -q "/tasks/oom.*\"$id\"" \
		"$W/events-$RT.log"
	remove "$id"
	check "oom: container and cgroup gone" gone "$id" "/sys/fs/cgroup/$NS/$id"
}

RT=setup
mkdir -p "$W"
mount -t tmpfs tmpfs "$W"
version=$(containerd --version 2>/dev/null | awk '{ print $3 }')
# Not through check(): CONTAINERD_PID must outlive it, for the teardown.
if start_containerd >"$W/start.log" 2>&1; then
	pass "containerd $version started"
else
	fail "containerd $version started"
	sed 's/^/SLX-VM:     /' "$W/start.log"
	exit 1
fi
if c images import --base-name "${IMAGE%:*}" /slx/busybox-layout.tar >"$W/import.log" 2>&1 &&
	c images ls -q | grep -qx "$IMAGE"; then
	pass "image $IMAGE imported"
else
	cat "$W/import.log"
	fail "image $IMAGE imported"
fi

for RT in $RUNTIMES; do
	case $RT in
	runc) BIN=/slx/bin/runc ;;
	slxrun) BIN=/slx/slxrun ;;
	esac
	RTF="--runtime io.containerd.runc.v2 --runc-binary $BIN --runc-root $W/runc-root/$RT"
	echo "SLX-VM: containerd with $RT ($BIN)"
	start=$(date +%s)
	scenario_limits
	scenario_pids
	scenario_oom
	echo "SLX-VM: containerd with $RT took $(($(date +%s) - start))s"
done

RT=teardown
if [ "$rc" -ne 0 ]; then
	echo "SLX-VM: containerd log (warnings and errors):"
	grep -v 'level=debug\|level=info' "$W/containerd.log" | tail -n 30
fi
check "containerd stops" kill "$CONTAINERD_PID"
wait "$CONTAINERD_PID"
rmdir "/sys/fs/cgroup/$NS" 2>/dev/null
umount -l "$W"
exit $rc
