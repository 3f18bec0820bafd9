#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# suite.sh -- what the test VM runs, by the suites /slx/suites names: "cgroup", the cgroup unit and
# privileged (live) tests, the cgroup limit suite and the runtime's attack tests against the built
# slxrun; "images", what a function sandbox sees of its image's or bundle's owners (idmapped overlay
# lowers); "containerd", the containerd suite (containerd.sh); then a check that nothing was left
# in the cgroup tree.
# Exits non-zero on any failure.
export SLXRUN=/slx/slxrun SLX_EXAMPLES=/slx/examples
rc=0
suites=$(cat /slx/suites)

case " $suites " in *" cgroup "*)
	for suite in unit privileged; do
		echo "SLX-VM: $suite tests cg*/* (ASAN)"
		ASAN_OPTIONS=detect_leaks=1 /slx/$suite-tests --verbose --color=never --timeout 120 \
			--jobs 1 --filter 'cg*/*' 2>&1 || rc=1
	done

	echo "SLX-VM: cgroup limits suite"
	/slx/vm-tests --verbose --color=never --timeout 120 --jobs 1 2>&1 || rc=1

	# The runtime's attack tests hold on a pure cgroup v2 host too; the node (several functions
	# under one budget) is checked where memory.max holds it.
	for suite in security_defaults rootfs_attacks state_safety node_live node_routing; do
		echo "SLX-VM: integration $suite/*"
		(cd /slx && /slx/integration-tests --verbose --color=never --timeout 120 --jobs 1 \
			--filter "$suite/*" 2>&1) || rc=1
	done
	# a call's REPORT has the sandbox's memory.peak where its cgroup counts one
	echo "SLX-VM: integration shim/log_type_tail*"
	(cd /slx && /slx/integration-tests --verbose --color=never --timeout 120 --jobs 1 \
		--filter "shim/log_type_tail*" 2>&1) || rc=1
	;;
esac

# An image's own owners inside its sandbox on Linux 6.1 (a lower 6.1 cannot idmap refused by
# name), a writable-root bundle's likewise, the runtime's idmapped binds, --share-memory
# refused in one line by a kernel without per-process merging, and a bundle's paths pinned at
# load (open_tree and move_mount on 6.1).
case " $suites " in *" images "*)
	echo "SLX-VM: integration image_owners/*"
	/slx/integration-tests --verbose --color=never --timeout 120 --jobs 1 \
		--filter "image_owners/*" 2>&1 || rc=1
	# each floor test by name: the VM has no cc, which most floor tests need,
	# and a glob took in two new ones that do
	for filter in "floor/a_writable_root_is_private*" "floor/a_rootfs_already_in*" \
		"floor/a_root_outside*" "runtime/idmapped*" "floor/sandboxes_share*" \
		"floor/a_bundle_swapped*"; do
		echo "SLX-VM: integration $filter"
		/slx/integration-tests --verbose --color=never --timeout 120 --jobs 1 \
			--filter "$filter" 2>&1 || rc=1
	done
	;;
esac

case " $suites " in *" containerd "*)
	echo "SLX-VM: containerd suite"
	/bin/sh /slx/containerd.sh 2>&1 || rc=1
	;;
esac

# Every test removes what it made: no cgroup may be left but slxrun's own parent.
left=$(find /sys/fs/cgroup -mindepth 1 -type d ! -path /sys/fs/cgroup/slxrun)
if [ -n "$left" ]; then
	echo "SLX-VM: cgroups left behind: $left"
	rc=1
fi
exit $rc
