#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# fake_registry.py -- a misbehaving OCI distribution endpoint for the image
# tests: serves one OCI layout as repository fn/echo behind Bearer tokens,
# drops the connection halfway through each blob's first GET (a Range GET
# then resumes it), and answers 404 / 500 / corrupt blobs for named repos;
# evil/endless streams each blob without end, evil/stall sends a blob's
# headers and half of it and then nothing (the first time; a resumed GET is
# served), evil/realm and evil/realm2 name a plain-http realm elsewhere (the
# second behind "localhost:x@", which is a user name), evil/many lists its one
# layer 1,100 times, evil/deep lists 1,100 distinct layers (served by no one).
# usage: fake_registry.py LAYOUT PORTFILE LOGFILE
import hashlib, json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAYOUT, PORTFILE, LOG = sys.argv[1:4]
dropped = set()


def log(line):
    with open(LOG, 'a') as f:
        f.write(line + '\n')


def blob(digest):
    path = os.path.join(LAYOUT, 'blobs', 'sha256', digest.split(':', 1)[1])
    with open(path, 'rb') as f:
        return f.read()


class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def send(self, code, body=b'', ctype='application/json', extra=()):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        log('GET %s range=%s auth=%s' % (self.path, self.headers.get('Range'),
                                          self.headers.get('Authorization')))
        if self.path.startswith('/token'):
            return self.send(200, b'{"token": "T0K3N"}')
        parts = self.path.split('/')  # '', 'v2', repo..., kind, ref
        repo, kind, ref = '/'.join(parts[2:-2]), parts[-2], parts[-1]
        if repo == 'fail/500':
            return self.send(500, b'{"errors": [{"code": "UNKNOWN"}]}')
        if self.headers.get('Authorization') != 'Bearer T0K3N':
            realm = 'http://127.0.0.1:%d/token' % self.server.server_port
            if repo == 'evil/realm':
                realm = 'http://127.0.0.2:%d/latest/meta-data' % self.server.server_port
            if repo == 'evil/realm2':
                realm = 'http://localhost:x@127.0.0.2:%d/token' % self.server.server_port
            challenge = 'Bearer realm="%s",service="fake",scope="repository:%s:pull"' % (realm, repo)
            return self.send(401, b'{"errors": []}', extra=[('WWW-Authenticate', challenge)])
        if repo not in ('fn/echo', 'fn/corrupt', 'evil/endless', 'evil/stall', 'evil/many',
                        'evil/deep'):
            return self.send(404, b'{"errors": [{"code": "NAME_UNKNOWN"}]}')
        if kind == 'manifests':
            index = json.load(open(os.path.join(LAYOUT, 'index.json')))
            top = index['manifests'][0]['digest']
            if repo in ('evil/many', 'evil/deep'):
                m = json.loads(blob(top))
                if repo == 'evil/many':  # its one layer listed 1,100 times
                    m['layers'] = m['layers'] * 1100
                else:
                    m['layers'] = [dict(m['layers'][0], digest='sha256:%064x' % i)
                                   for i in range(1100)]
                body = json.dumps(m).encode()
                if not ref.startswith('sha256:') or ref == 'sha256:' + hashlib.sha256(body).hexdigest():
                    return self.send(200, body, 'application/vnd.oci.image.manifest.v1+json')
            if not ref.startswith('sha256:'):
                ref = top
            return self.send(200, blob(ref), 'application/vnd.oci.image.manifest.v1+json')
        data = blob(ref)
        if repo == 'evil/endless':
            self.send_response(200)
            self.send_header('Connection', 'close')
            self.end_headers()
            self.close_connection = True
            try:
                self.wfile.write(data)
                while True:
                    self.wfile.write(b'\0' * 65536)
            except OSError:
                return
        if repo == 'evil/stall' and len(data) > 1000 and not self.headers.get('Range') and ref not in dropped:
            dropped.add(ref)
            self.send_response(200)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            time.sleep(40)
            self.close_connection = True
            return
        if repo == 'fn/corrupt' and len(data) > 1000:
            data = data[:500] + b'X' + data[501:]
        rng = self.headers.get('Range')
        if rng:
            start = int(rng.split('=')[1].split('-')[0])
            return self.send(206, data[start:], 'application/octet-stream',
                             [('Content-Range', 'bytes %d-%d/%d' % (start, len(data) - 1, len(data)))])
        if len(data) > 1000 and ref not in dropped:
            dropped.add(ref)
            self.send_response(200)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        return self.send(200, data, 'application/octet-stream')

    def log_message(self, *args):
        pass


srv = ThreadingHTTPServer(('127.0.0.1', 0), H)
with open(PORTFILE + '.tmp', 'w') as f:
    f.write(str(srv.server_port))
os.rename(PORTFILE + '.tmp', PORTFILE)
srv.serve_forever()
