#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# deps.sh -- install, when missing, the Debian packages slxrun builds, tests and benchmarks with,
# or the packages named as arguments (the VM, containerd and bench scripts name theirs).
set -e
PKGS="build-essential pkg-config python3 curl libcap-dev libseccomp-dev libyajl-dev libmnl-dev
libcriterion-dev libmicrohttpd-dev libcurl4-openssl-dev musl-tools busybox-static crun runc hyperfine gnuplot-nox
clang libclang-rt-14-dev clang-format-14 libarchive-dev libssl-dev umoci skopeo docker-registry strace"
RECOMMENDS=""
# Named packages come without their recommends: only what the script needs.
[ $# -gt 0 ] && PKGS="$*" && RECOMMENDS=--no-install-recommends
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $RECOMMENDS $missing
