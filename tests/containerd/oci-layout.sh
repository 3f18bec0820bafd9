#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# oci-layout.sh -- an OCI image layout of a rootfs (one gzip'd layer, config Cmd sh, PATH=/bin),
# tagged latest and tarred for `ctr images import`: an image without a registry. The layer is
# reproducible (sorted names, numeric owners, mtime 0, gzip -n), so the same rootfs always gives
# the same digests.
#
# Usage: tests/containerd/oci-layout.sh ROOTFS OUT.tar
set -eu

[ $# -eq 2 ] || { echo "usage: $0 ROOTFS OUT.tar" >&2; exit 2; }
ROOTFS=$1
OUT=$(realpath "$(dirname "$2")")/$(basename "$2")
[ -x "$ROOTFS/bin/busybox" ] || [ -x "$ROOTFS/bin/sh" ] ||
	{ echo "oci-layout: $ROOTFS has no /bin/sh" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/slx-layout.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# blob FILE MEDIATYPE: move FILE into the layout's blobs by its digest; print its descriptor.
blob() {
	local digest size
	digest=$(sha256sum "$1" | cut -d' ' -f1)
	size=$(stat -c %s "$1")
	mv "$1" "$WORK/image/blobs/sha256/$digest"
	printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$2" "$digest" "$size"
}

mkdir -p "$WORK/image/blobs/sha256"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$ROOTFS" -cf "$WORK/layer.tar" .
diff_id=$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)
gzip -n "$WORK/layer.tar"
layer=$(blob "$WORK/layer.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"]},%s}' \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]}" >"$WORK/config.json"
config=$(blob "$WORK/config.json" application/vnd.oci.image.config.v1+json)
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' \
	application/vnd.oci.image.manifest.v1+json "$config" "$layer" >"$WORK/manifest.json"
manifest=$(blob "$WORK/manifest.json" application/vnd.oci.image.manifest.v1+json)
printf '{"schemaVersion":2,"manifests":[%s,"annotations":{"%s":"latest"}}]}' \
	"${manifest%\}}" org.opencontainers.image.ref.name >"$WORK/image/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$WORK/image/oci-layout"
tar -C "$WORK/image" -cf "$OUT" oci-layout index.json blobs
