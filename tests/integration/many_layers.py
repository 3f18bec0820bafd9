#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# many_layers.py -- an OCI image layout of N layers for the image tests: the
# first holds busybox, layer i adds /l/<i>; the command lists /l.
# usage: many_layers.py DIR N TAG
import hashlib, io, json, os, sys, tarfile

out, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out + '/blobs/sha256', exist_ok=True)


def put(data):
    h = hashlib.sha256(data).hexdigest()
    with open('%s/blobs/sha256/%s' % (out, h), 'wb') as f:
        f.write(data)
    return 'sha256:' + h, len(data)


def layer(i):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
        if i == 0:
            for d in ('bin', 'l'):
                info = tarfile.TarInfo(d)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            t.add('/bin/busybox', 'bin/busybox')
        info = tarfile.TarInfo('l/%d' % i)
        info.mode, info.size = 0o644, 0
        t.addfile(info, io.BytesIO(b''))
    return buf.getvalue()


layers, diffs = [], []
for i in range(n):
    d, size = put(layer(i))
    layers.append({'mediaType': 'application/vnd.oci.image.layer.v1.tar', 'digest': d,
                   'size': size})
    diffs.append(d)
config = {'architecture': 'amd64', 'os': 'linux',
          'config': {'Cmd': ['/bin/busybox', 'ls', '/l']},
          'rootfs': {'type': 'layers', 'diff_ids': diffs}}
cd, cs = put(json.dumps(config).encode())
manifest = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
            'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': cd,
                       'size': cs},
            'layers': layers}
md, ms = put(json.dumps(manifest).encode())
with open(out + '/oci-layout', 'w') as f:
    json.dump({'imageLayoutVersion': '1.0.0'}, f)
with open(out + '/index.json', 'w') as f:
    json.dump({'schemaVersion': 2, 'manifests': [
        {'mediaType': manifest['mediaType'], 'digest': md, 'size': ms,
         'annotations': {'org.opencontainers.image.ref.name': tag}}]}, f)
