#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh -- boot Debian's 6.1 kernel under qemu (tcg) on a pure cgroup v2 hierarchy with an
# initramfs holding slxrun, its tests, the busybox bundle, Debian's containerd, runc.v2 shim, ctr
# and runc, and the busybox image as an OCI layout; pass only on the guest's success line.
#
# Usage: tests/vm/run.sh   (make test-vm builds what it needs first)
# Environment: SLX_VM_TIMEOUT (seconds, default 600; a run takes about 220 s), SLX_VM_MEM (MiB,
# default 2048: containerd, its shims and ~90 MB of Go binaries unpacked twice), SLX_VM_SUITES
# (default "cgroup images containerd": the cgroup unit, privileged and limits suites, image
# sandboxes' owners, then tests/vm/containerd.sh; see suite.sh).
# KVM hangs on the machines this was written on, so the guest always runs under tcg.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/build
VM=$B/vm
STAGE=$VM/initramfs
TIMEOUT=${SLX_VM_TIMEOUT:-600}
MEM=${SLX_VM_MEM:-2048}
SUITES=${SLX_VM_SUITES:-"cgroup images containerd"}
BUSYBOX=/bin/busybox

die() { echo "vm: $*" >&2; exit 1; }

kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -1
}

# download_kernel DIR: the current linux-image-<version>-amd64 .deb into DIR; apt's lists are
# refreshed once when they name no kernel or one the mirror no longer has.
download_kernel() {
	for attempt in 1 2; do
		pkg=$(kernel_package)
		if [ -n "$pkg" ] && (cd "$1" && apt-get download -q "$pkg" 2>&1 |
			grep -v 'Download is performed unsandboxed'; [ "${PIPESTATUS[0]}" -eq 0 ]); then
			return 0
		fi
		[ "$attempt" -eq 1 ] && apt-get update -qq
	done
	die "cannot download the kernel package (linux-image-amd64 -> '${pkg:-none}')"
}

# The modules the guest loads, with what they need: overlayfs (image layers, the sealed binary),
# loop, crc32c and ext4 (/tmp on a filesystem Linux 6.1 can idmap, as a disk is; tmpfs only from 6.3).
MODULES="overlay loop crc32c_generic ext4"

# keep_module DIR NAME: NAME.ko and, first, every module it depends on (the depends= of its
# .modinfo; the package ships no modules.dep) copied from the unpacked tree DIR into
# build/vm/kernel/modules, numbered in load order.
keep_module() {
	local path dep n
	path=$(find "$1" -name "$2.ko" -o -name "$(echo "$2" | tr _ -).ko" | head -1)
	[ -n "$path" ] || die "module $2 not in the kernel package"
	grep -qx "$path" "$VM/kernel/modules/order" 2>/dev/null && return 0
	for dep in $(strings -a "$path" | sed -n 's/^depends=//p' | head -1 | tr , ' '); do
		keep_module "$1" "$dep"
	done
	n=$(wc -l <"$VM/kernel/modules/order")
	cp "$path" "$VM/kernel/modules/$(printf '%02d' "$n")-$(basename "$path")"
	echo "$path" >>"$VM/kernel/modules/order"
}

# The kernel comes from the linux-image .deb unpacked into build/vm/kernel, never installed on the
# host: no initramfs or bootloader hooks run, and the host's own kernel is left alone.
fetch_kernel() {
	[ -n "$(find "$VM/kernel/boot" -name 'vmlinuz-*' 2>/dev/null)" ] &&
		[ "$(cat "$VM/kernel/modules/wanted" 2>/dev/null)" = "$MODULES" ] && return 0
	rm -rf "$VM/deb" "$VM/kernel"
	mkdir -p "$VM/deb"
	echo "vm: fetching the Debian kernel package"
	download_kernel "$VM/deb"
	dpkg-deb -x "$VM"/deb/*.deb "$VM/deb/x"
	# Keep the kernel and the modules a test needs; the rest is ~400 MB.
	mkdir -p "$VM/kernel/boot" "$VM/kernel/modules"
	cp "$VM"/deb/x/boot/vmlinuz-* "$VM"/deb/x/boot/config-* "$VM/kernel/boot/"
	: >"$VM/kernel/modules/order"
	for m in $MODULES; do
		keep_module "$VM/deb/x/lib/modules" "$m"
	done
	echo "$MODULES" >"$VM/kernel/modules/wanted"
	rm -rf "$VM/deb"
}

# copy_with_libs BIN DEST: BIN at DEST inside the stage, and every library ldd names at its own path.
copy_with_libs() {
	mkdir -p "$STAGE/$(dirname "$2")"
	cp "$1" "$STAGE/$2"
	ldd "$1" | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$STAGE$lib" ] && continue
		mkdir -p "$STAGE$(dirname "$lib")"
		cp -L "$lib" "$STAGE$lib"
	done
}

build_initramfs() {
	rm -rf "$STAGE"
	mkdir -p "$STAGE"/{bin,sbin,proc,sys,dev,tmp,run,etc,newroot,slx/examples,lib/modules}
	cp "$BUSYBOX" "$STAGE/bin/busybox"
	for applet in $("$BUSYBOX" --list); do
		[ -e "$STAGE/bin/$applet" ] || ln -s busybox "$STAGE/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$STAGE/etc/passwd"
	printf 'root:x:0:\n' >"$STAGE/etc/group"
	copy_with_libs "$ROOT/slxrun" /slx/slxrun
	# shim serve and image pulls load these at run time (ldd does not name them); awk reads to
	# the end, as leaving early would SIGPIPE ldconfig, which pipefail makes fatal.
	for so in libmicrohttpd.so.12 libarchive.so.13 libcrypto.so.3; do
		lib=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ && !found { print $NF; found = 1 }')
		copy_with_libs "$lib" "$lib"
	done
	copy_with_libs "$B/vm-tests" /slx/vm-tests
	copy_with_libs "$B/unit-tests" /slx/unit-tests
	copy_with_libs "$B/privileged-tests" /slx/privileged-tests
	copy_with_libs "$B/integration-tests" /slx/integration-tests
	# soak-exec: its "hold" event keeps a sandbox busy for a second (node_live's floor test)
	cp -a "$B/examples/busybox" "$B/examples/hello-exec" "$B/examples/bench-echo-exec" \
		"$B/examples/soak-exec" "$STAGE/slx/examples/"
	# The node suite replays its trace from the repository's relative path.
	mkdir -p "$STAGE/slx/tests/traces"
	cp -a "$ROOT/tests/traces/node" "$STAGE/slx/tests/traces/"
	for bin in containerd containerd-shim-runc-v2 ctr runc; do
		copy_with_libs "$(command -v "$bin")" "/slx/bin/$bin"
	done
	copy_with_libs "$B/vm-task-update" /slx/bin/task-update
	"$ROOT/tests/containerd/oci-layout.sh" "$B/examples/busybox/rootfs" "$STAGE/slx/busybox-layout.tar"
	cp "$VM"/kernel/modules/*.ko "$STAGE/lib/modules/"
	install -m 755 "$ROOT/tests/vm/init" "$STAGE/init"
	install -m 755 "$ROOT/tests/vm/suite.sh" "$STAGE/slx/suite.sh"
	install -m 755 "$ROOT/tests/vm/containerd.sh" "$STAGE/slx/containerd.sh"
	echo "$SUITES" >"$STAGE/slx/suites"
	(cd "$STAGE" && find . | cpio -o -H newc --quiet | gzip -1) >"$VM/initramfs.cpio.gz"
}

boot() {
	kernel=$(find "$VM/kernel/boot" -name 'vmlinuz-*' | head -1)
	echo "vm: booting $(basename "$kernel") (tcg, ${MEM} MiB, timeout ${TIMEOUT}s)"
	start=$(date +%s)
	set +e
	timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -m "$MEM" -smp 2 \
		-nographic -no-reboot -kernel "$kernel" -initrd "$VM/initramfs.cpio.gz" \
		-append "console=ttyS0 cgroup_no_v1=all quiet panic=-1 rdinit=/init" \
		</dev/null >"$VM/console.log" 2>&1
	qemu_rc=$?
	set -e
	echo "vm: qemu exited with $qemu_rc after $(($(date +%s) - start))s; console in $VM/console.log"
}

for need in "$ROOT/slxrun" "$B/vm-tests" "$B/vm-task-update" "$B/unit-tests" "$B/privileged-tests" \
	"$B/integration-tests" "$B/examples/busybox/config.json"; do
	[ -e "$need" ] || die "$need missing: run make test-vm"
done
"$ROOT/tests/deps.sh" qemu-system-x86 cpio busybox-static containerd runc
fetch_kernel
build_initramfs
boot
# The console as plain lines: no carriage returns, no terminal escapes from the firmware.
console() { sed 's/\r$//; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' "$VM/console.log"; }
console | grep -aE '^(\[(----|====|PASS|FAIL|SKIP|ERR |WARN)\]|SLX-VM)' | grep -avE 'Test is disabled|\] Running [0-9]+ tests? from' || true
if console | grep -aqx 'SLX-VM-RESULT rc=0'; then
	echo "vm: PASS"
	exit 0
fi
echo "vm: FAIL (no 'SLX-VM-RESULT rc=0'); last console lines:" >&2
console | tail -n 60 >&2
exit 1
