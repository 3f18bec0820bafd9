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
import io, os, sys, tarfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_layout import Layout

lay = Layout(sys.argv[1])


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
    return lay.put(buf.getvalue())


base = tar([('bin', None), ('bin/busybox', None), ('etc', None),
            ('etc/passwd', b'root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n'),
            ('etc/group', b'root:x:0:\napp:x:1000:\n'), ('app', None)])
tops = {
    'plain': None,
    'opaque': tar([('etc', None), ('etc/.wh..wh..opq', b''), ('etc/hostname', b'h\n')]),
    'gone': tar([('.wh.etc', b'')]),
    'workdir': tar([('.wh.app', b'')]),
}
for tag, top in tops.items():
    cfg = {'Cmd': ['/bin/busybox', 'id', '-u'], 'User': 'app'}
    if tag == 'workdir':
        cfg = {'Cmd': ['/bin/busybox', 'pwd'], 'WorkingDir': '/app'}
    lay.image(tag, [base] + ([top] if top else []), cfg)
lay.close()
