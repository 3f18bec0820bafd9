# SPDX-License-Identifier: GPL-2.0-or-later
# oci_layout.py -- writing an OCI image layout for the image tests'
# generators (many_layers.py, hiding_layers.py): blobs by digest, an image
# of layers and a config, and the index naming each image by its tag.
import hashlib, json, os

LAYER = 'application/vnd.oci.image.layer.v1.tar'
MANIFEST = 'application/vnd.oci.image.manifest.v1+json'


class Layout:
    def __init__(self, out):
        self.out, self.manifests = out, []
        os.makedirs(out + '/blobs/sha256', exist_ok=True)

    def put(self, data):
        """Store a blob: its digest and size."""
        h = hashlib.sha256(data).hexdigest()
        with open('%s/blobs/sha256/%s' % (self.out, h), 'wb') as f:
            f.write(data)
        return 'sha256:' + h, len(data)

    def image(self, tag, layers, cfg):
        """An image of layers ([(digest, size)], uncompressed tars) and the
        config's `config` object cfg, named tag in the index."""
        config = {'architecture': 'amd64', 'os': 'linux', 'config': cfg,
                  'rootfs': {'type': 'layers', 'diff_ids': [d for d, _ in layers]}}
        cd, cs = self.put(json.dumps(config).encode())
        manifest = {'schemaVersion': 2, 'mediaType': MANIFEST,
                    'config': {'mediaType': 'application/vnd.oci.image.config.v1+json',
                               'digest': cd, 'size': cs},
                    'layers': [{'mediaType': LAYER, 'digest': d, 'size': s}
                               for d, s in layers]}
        md, ms = self.put(json.dumps(manifest).encode())
        self.manifests.append({'mediaType': MANIFEST, 'digest': md, 'size': ms,
                               'annotations': {'org.opencontainers.image.ref.name': tag}})

    def close(self):
        with open(self.out + '/oci-layout', 'w') as f:
            json.dump({'imageLayoutVersion': '1.0.0'}, f)
        with open(self.out + '/index.json', 'w') as f:
            json.dump({'schemaVersion': 2, 'manifests': self.manifests}, f)
