#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# many_layers.py -- an OCI image layout of N layers for the image tests: the
# first holds busybox, layer i adds /l/<i>; the command lists /l.
# usage: many_layers.py DIR N TAG
import io, os, sys, tarfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_layout import Layout

out, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lay = Layout(out)


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


lay.image(tag, [lay.put(layer(i)) for i in range(n)], {'Cmd': ['/bin/busybox', 'ls', '/l']})
lay.close()
