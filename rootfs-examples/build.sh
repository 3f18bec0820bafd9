#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh -- build the example OCI bundles (busybox rootfs, exec and Lambda-style functions) under OUTDIR.
#
# Usage: rootfs-examples/build.sh OUTDIR
# Each bundle is rebuilt only when one of its inputs (this script, the host's busybox, the
# bootstrap source) is newer than its stamp file, so a second run is a no-op.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
BUSYBOX=${BUSYBOX:-/bin/busybox}
CC=${CC:-gcc}

# Applets the tests and examples rely on; every other applet busybox knows is linked too.
REQUIRED_APPLETS="sh true echo cat ls id hostname sleep mount grep env wc head tr printf ps kill
mkdir rm touch stat readlink"

die() { echo "build.sh: $*" >&2; exit 1; }

[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (apt-get install busybox-static)"
if command -v file >/dev/null; then
	file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not statically linked"
fi
mkdir -p "$OUT"

# up_to_date BUNDLE INPUT...: true when BUNDLE/.stamp is newer than every input.
up_to_date() {
	stamp=$1/.stamp
	shift
	[ -f "$stamp" ] || return 1
	for input in "$@"; do
		[ "$stamp" -nt "$input" ] || return 1
	done
	return 0
}

# make_rootfs DIR: busybox, its applets, the empty mount points and a two-user /etc.
make_rootfs() {
	rootfs=$1
	rm -rf "$rootfs"
	mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp" "$rootfs/etc"
	chmod 1777 "$rootfs/tmp"
	# One inode for every bundle's busybox: hardlink to the first copy when the filesystem allows.
	if [ -f "$OUT/.busybox" ] && [ "$OUT/.busybox" -nt "$BUSYBOX" ]; then :; else
		cp "$BUSYBOX" "$OUT/.busybox"
	fi
	ln "$OUT/.busybox" "$rootfs/bin/busybox" 2>/dev/null || cp "$OUT/.busybox" "$rootfs/bin/busybox"
	for applet in $("$BUSYBOX" --list) $REQUIRED_APPLETS; do
		[ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nsbx_user1051:x:993:990::/tmp:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
		>"$rootfs/etc/passwd"
	printf 'root:x:0:\nsbx_user1051:x:990:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
}

# json_list A B ...: a JSON array of strings (the words must not contain quotes or backslashes).
json_list() {
	sep=""
	printf '['
	for word in "$@"; do
		printf '%s"%s"' "$sep" "$word"
		sep=", "
	done
	printf ']'
}

# write_config BUNDLE ARGS_JSON EXTRA_ENV_JSON ANNOTATIONS_JSON NETWORK(yes|no)
# The function runs as Lambda's sbx_user1051 (993:990); the shim's floor adds the user and
# cgroup namespaces, the id mapping, seccomp, limits and /tmp whatever the bundle says.
# The shape of `runc spec` (capabilities, mounts, masked and read-only paths) without
# linux.resources and without a cgroup namespace or /sys/fs/cgroup mount: this host's cgroup v2
# has no controllers, and crun/runc would need them for either.
write_config() {
	bundle=$1 args=$2 extra_env=$3 annotations=$4 network=$5
	caps=$(json_list CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)
	netns=""
	[ "$network" = yes ] && netns='
			{ "type": "network" },'
	cat >"$bundle/config.json" <<EOF
{
	"ociVersion": "1.1.0",
	"annotations": $annotations,
	"process": {
		"terminal": false,
		"user": { "uid": ${FUNCTION_UID:-993}, "gid": ${FUNCTION_GID:-990} },
		"args": $args,
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"$extra_env
		],
		"cwd": "/",
		"capabilities": {
			"bounding": $caps,
			"effective": $caps,
			"permitted": $caps,
			"ambient": $caps
		},
		"rlimits": [
			{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }
		],
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": true },
	"hostname": "slxrun",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": $(json_list nosuid strictatime mode=755 size=65536k) },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts",
		  "options": $(json_list nosuid noexec newinstance ptmxmode=0666 mode=0620 gid=5) },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		  "options": $(json_list nosuid noexec nodev mode=1777 size=65536k) },
		{ "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
		  "options": $(json_list nosuid noexec nodev) },
		{ "destination": "/sys", "type": "sysfs", "source": "sysfs",
		  "options": $(json_list nosuid noexec nodev ro) }
	],
	"linux": {
		"namespaces": [
			{ "type": "pid" },$netns
			{ "type": "ipc" },
			{ "type": "uts" },
			{ "type": "mount" }
		],
		"maskedPaths": $(json_list /proc/acpi /proc/asound /proc/kcore /proc/keys /proc/latency_stats \
			/proc/timer_list /proc/timer_stats /proc/sched_debug /sys/firmware /proc/scsi),
		"readonlyPaths": $(json_list /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger)
	}
}
EOF
}

# annotations MODE TIMEOUT: the slxrun function annotations as a JSON object.
annotations() {
	printf '{ "org.slxrun.function.mode": "%s", "org.slxrun.function.timeout": "%s" }' "$1" "$2"
}

# exec_bundle NAME TIMEOUT HANDLER_BODY: an exec-mode function whose handler is a shell script.
exec_bundle() {
	name=$1 timeout=$2 body=$3
	dir=$OUT/$name
	up_to_date "$dir" "$HERE/build.sh" "$BUSYBOX" && return 0
	echo "build.sh: $dir"
	make_rootfs "$dir/rootfs"
	mkdir -p "$dir/rootfs/function"
	printf '#!/bin/sh\n%s\n' "$body" >"$dir/rootfs/function/handler.sh"
	chmod 755 "$dir/rootfs/function/handler.sh"
	write_config "$dir" "$(json_list /bin/sh /function/handler.sh)" "" "$(annotations exec "$timeout")" yes
	touch "$dir/.stamp"
}

build_busybox() {
	dir=$OUT/busybox
	up_to_date "$dir" "$HERE/build.sh" "$BUSYBOX" && return 0
	echo "build.sh: $dir"
	make_rootfs "$dir/rootfs"
	FUNCTION_UID=0 FUNCTION_GID=0 write_config "$dir" "$(json_list /bin/true)" "" "{}" yes
	touch "$dir/.stamp"
}

# build_lambda NAME TIMEOUT EXTRA_ENV: the Lambda custom-runtime example.
build_lambda() {
	name=$1 timeout=$2 extra_env=$3
	dir=$OUT/$name
	src=$HERE/lambda-bootstrap.c
	up_to_date "$dir" "$HERE/build.sh" "$BUSYBOX" "$src" && return 0
	echo "build.sh: $dir"
	make_rootfs "$dir/rootfs"
	mkdir -p "$dir/rootfs/var/runtime" "$dir/rootfs/var/task"
	$CC -std=gnu11 -static -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
		-o "$dir/rootfs/var/runtime/bootstrap" "$src"
	write_config "$dir" "$(json_list /var/runtime/bootstrap)" \
		',
			"_HANDLER=function.handler",
			"LAMBDA_TASK_ROOT=/var/task"'"$extra_env" \
		"$(annotations runtime-api "$timeout")" yes
	touch "$dir/.stamp"
}

build_busybox
# shellcheck disable=SC2016 # the handler expands these, not this script
exec_bundle hello-exec 10 'printf '\''hello from slxrun: %s\n'\'' "$(cat)"'
exec_bundle crash-exec 10 'kill -SEGV $$'
exec_bundle sleep-exec 1 'sleep 30'
# The fault soak's function: the event picks the outcome (tests/soak/soak.py).
exec_bundle soak-exec 2 'ev=$(cat)
case "$ev" in
exit1*) echo "asked to fail" >&2; exit 1 ;;
abort*) kill -ABRT $$ ;;
segv*) kill -SEGV $$ ;;
sleep*) sleep 30 ;;
hold*) exec sleep 1 ;;
*) printf '\''ok:%s'\'' "$ev" ;;
esac'
build_lambda lambda-bootstrap 10 ""
# Times out at 1 s ("sleep" sleeps 60).
build_lambda lambda-timeout 1 ""
# Takes 10 s to initialise before its first /next: the shim must not wait.
build_lambda lambda-slow-init 15 ',
			"BOOTSTRAP_INIT_SLEEP_S=10"'
# Logs while it initialises; and cannot load its handler (an init error).
build_lambda lambda-init-log 10 ',
			"BOOTSTRAP_INIT_LOG=loading function.handler"'
build_lambda lambda-init-error 10 ',
			"BOOTSTRAP_INIT_LOG=loading function.handler",
			"BOOTSTRAP_INIT_ERROR=Runtime.ImportModuleError"'

