#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# hiding_layers.py -- an OCI image layout whose top layer hides what the
# base layer has, for the image tests.  The base holds busybox, an
# /etc/passwd with user app (1000) and a directory /app.  Tags:
#   plain    the base alone, User app: prints its uid
#   opaque   a top layer making /etc opaque (no passwd in it), User app
#   gone     a top layer whiting out /etc, User app
#   workdir  a top layer whiting out /app, WorkingDir /app: prints its cwd
# usage: hiding_layers.py DIR
import hashlib, io, json, os, sys, tarfile

out = sys.argv[1]
os.makedirs(out + '/blobs/sha256', exist_ok=True)


def put(data):
    h = hashlib.sha256(data).hexdigest()
    with open('%s/blobs/sha256/%s' % (out, h), 'wb') as f:
        f.write(data)
    return 'sha256:' + h, len(data)


def tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
        for name, data in entries:
            if name == 'bin/busybox':
                t.add('/bin/busybox', name)
                continue
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            else:
                info.mode, info.size = 0o644, len(data)
                t.addfile(info, io.BytesIO(data))
    return put(buf.getvalue())


base = tar([('bin', None), ('bin/busybox', None), ('etc', None),
            ('etc/passwd', b'root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n'),
            ('etc/group', b'root:x:0:\napp:x:1000:\n'), ('app', None)])
tops = {
    'plain': None,
    'opaque': tar([('etc', None), ('etc/.wh..wh..opq', b''), ('etc/hostname', b'h\n')]),
    'gone': tar([('.wh.etc', b'')]),
    'workdir': tar([('.wh.app', b'')]),
}
manifests = []
for tag, top in tops.items():
    layers = [base] + ([top] if top else [])
    cfg = {'Cmd': ['/bin/busybox', 'id', '-u'], 'User': 'app'}
    if tag == 'workdir':
        cfg = {'Cmd': ['/bin/busybox', 'pwd'], 'WorkingDir': '/app'}
    config = {'architecture': 'amd64', 'os': 'linux', 'config': cfg,
              'rootfs': {'type': 'layers', 'diff_ids': [d for d, _ in layers]}}
    cd, cs = put(json.dumps(config).encode())
    manifest = {'schemaVersion': 2,
                'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                'config': {'mediaType': 'application/vnd.oci.image.config.v1+json',
                           'digest': cd, 'size': cs},
                'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar',
                            'digest': d, 'size': s} for d, s in layers]}
    md, ms = put(json.dumps(manifest).encode())
    manifests.append({'mediaType': manifest['mediaType'], 'digest': md, 'size': ms,
                      'annotations': {'org.opencontainers.image.ref.name': tag}})
with open(out + '/oci-layout', 'w') as f:
    json.dump({'imageLayoutVersion': '1.0.0'}, f)
with open(out + '/index.json', 'w') as f:
    json.dump({'schemaVersion': 2, 'manifests': manifests}, f)
