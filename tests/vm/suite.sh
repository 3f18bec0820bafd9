#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# suite.sh -- what the test VM runs: the cgroup unit tests, then the cgroup limit suite against the
# built slxrun.  Exits non-zero when either fails.
export SLXRUN=/slx/slxrun SLX_EXAMPLES=/slx/examples
rc=0

echo "SLX-VM: unit tests cg*/* (ASAN)"
ASAN_OPTIONS=detect_leaks=1 /slx/unit-tests --verbose --color=never --timeout 120 --jobs 1 --filter 'cg*/*' 2>&1 || rc=1

echo "SLX-VM: cgroup limits suite"
/slx/vm-tests --verbose --color=never --timeout 120 --jobs 1 2>&1 || rc=1

exit $rc
