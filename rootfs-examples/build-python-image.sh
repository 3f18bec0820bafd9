#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build-python-image.sh -- a Python function as an OCI image layout, from Debian
# packages only: python3.11 and the libraries it loads, fetched with
# `apt-get download` (or taken from apt's cache) and unpacked with dpkg-deb; a
# standard-library Lambda Runtime API loop (python/bootstrap.py) as ENTRYPOINT, the
# handler (python/app.py, app.handler) as CMD, /var/task as WorkingDir, written by umoci.
#
# Usage: rootfs-examples/build-python-image.sh OUTDIR   ->  OUTDIR/python-image (tag py)
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
LAYOUT=$OUT/python-image
DEBS=$OUT/python-debs
WORK=$OUT/python-work
die() { echo "build-python-image.sh: $*" >&2; exit 1; }
for tool in apt-get dpkg-deb umoci; do
	command -v $tool >/dev/null || die "$tool missing (apt-get install ${tool/dpkg-deb/dpkg})"
done

# The interpreter, its standard library and the shared libraries they load;
# sqlite, readline, curses, dbm and nis modules are left out (not loaded here).
PACKAGES="libc6 libgcc-s1 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
libexpat1 zlib1g libssl3 libffi8 libbz2-1.0 liblzma5 libcrypt1 libuuid1 media-types"

if [ -f "$LAYOUT/index.json" ] && [ "$LAYOUT/index.json" -nt "$0" ] &&
	[ "$LAYOUT/index.json" -nt "$HERE/python/bootstrap.py" ] &&
	[ "$LAYOUT/index.json" -nt "$HERE/python/app.py" ]; then
	exit 0
fi
mkdir -p "$DEBS"
for p in $PACKAGES; do
	v=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
	[ -n "$v" ] && [ "$v" != "(none)" ] || die "no candidate for $p (apt-get update?)"
	f=$(ls "$DEBS/${p}_"*.deb 2>/dev/null | head -1 || true)
	[ -n "$f" ] && continue
	cached=$(ls /var/cache/apt/archives/"${p}_${v/*:/}"_*.deb 2>/dev/null | head -1 || true)
	if [ -n "$cached" ]; then
		cp "$cached" "$DEBS/"
	else
		(cd "$DEBS" && apt-get download -q "$p") || die "apt-get download $p failed"
	fi
done

rm -rf "$WORK" "$LAYOUT"
mkdir -p "$WORK"
umoci init --layout "$LAYOUT"
umoci new --image "$LAYOUT:py"
umoci unpack --image "$LAYOUT:py" "$WORK/b" >/dev/null
R=$WORK/b/rootfs
for f in "$DEBS"/*.deb; do dpkg-deb -x "$f" "$R"; done
# Usr-merged as Debian 12 is: /lib64's loader and /bin reached through /usr.
for d in bin sbin lib lib64; do
	if [ -d "$R/$d" ] && [ ! -L "$R/$d" ]; then
		mkdir -p "$R/usr/$d" && cp -a "$R/$d/." "$R/usr/$d/" && rm -rf "${R:?}/$d"
	fi
	[ -e "$R/$d" ] || ln -s "usr/$d" "$R/$d"
done
ln -sf python3.11 "$R/usr/bin/python3"
rm -rf "$R"/usr/share/{doc,man,locale,lintian,info} \
	"$R"/usr/lib/python3.11/{test,idlelib,tkinter,turtledemo,ensurepip,lib2to3,pydoc_data}
mkdir -p "$R"/{etc,tmp,proc,sys,dev,var/runtime,var/task}
chmod 1777 "$R/tmp"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nsbx_user1051:x:993:990::/tmp:/usr/sbin/nologin\n' >"$R/etc/passwd"
printf 'root:x:0:\nsbx_user1051:x:990:\n' >"$R/etc/group"
install -m 0644 "$HERE/python/bootstrap.py" "$R/var/runtime/bootstrap.py"
install -m 0644 "$HERE/python/app.py" "$R/var/task/app.py"
# Compiled once here: a read-only root cannot take __pycache__ at run time.
"$R/usr/bin/python3.11" -c 1 2>/dev/null || true
chroot "$R" /usr/bin/python3.11 -m compileall -q /usr/lib/python3.11 /var/task >/dev/null || true
umoci repack --image "$LAYOUT:py" "$WORK/b"
umoci config --image "$LAYOUT:py" \
	--config.entrypoint /usr/bin/python3.11 --config.entrypoint /var/runtime/bootstrap.py \
	--config.cmd app.handler --config.workingdir /var/task \
	--config.env PYTHONDONTWRITEBYTECODE=1 --config.env LANG=C.UTF-8 \
	--config.label org.slxrun.function.mode=runtime-api \
	--config.label org.slxrun.function.timeout=10 \
	--config.label org.slxrun.function.memory=128
umoci gc --layout "$LAYOUT"
chmod -R a+rX "$LAYOUT"
rm -rf "$WORK"
echo "build-python-image.sh: $LAYOUT (oci:$LAYOUT:py)"
