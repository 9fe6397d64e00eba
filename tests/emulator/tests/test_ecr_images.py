"""ECR DescribeImages: moto's images (PutImage), and for an account pointed at a local registry the
images pushed there through the registry API (ecr_images.py)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from botocore.exceptions import ClientError

DIGEST = "sha256:" + "ab" * 32


class _Registry(BaseHTTPRequestHandler):
    """A registry holding one manifest: `team/app:1.0`."""

    def do_HEAD(self):  # noqa: N802
        if self.path == "/v2/team/app/manifests/1.0":
            self.send_response(200)
            self.send_header("Docker-Content-Digest", DIGEST)
            self.send_header("Content-Type", "application/vnd.oci.image.index.v1+json")
            self.send_header("Content-Length", "321")
        else:
            self.send_response(404)
        self.end_headers()

    def log_message(self, *_):
        pass


@pytest.fixture
def registry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_images_are_there_or_not_found(emu, account, registry):
    ecr = emu.client("ecr", account)
    ecr.create_repository(repositoryName="team/app")
    missing = {"imageTag": "1.0"}
    with pytest.raises(ClientError) as err:
        ecr.describe_images(repositoryName="team/app", imageIds=[missing])
    assert err.value.response["Error"]["Code"] == "ImageNotFoundException"
    with pytest.raises(ClientError) as err:
        ecr.describe_images(repositoryName="team/none", imageIds=[missing])
    assert err.value.response["Error"]["Code"] == "RepositoryNotFoundException"

    # Pushed to the account's registry through the registry API: listed.
    url = f"{emu.endpoint}/_emulator/ecr/registry"
    assert requests.put(url, params={"account": account}, json={"endpoint": registry}, timeout=10).ok
    [detail] = ecr.describe_images(repositoryName="team/app", imageIds=[missing])["imageDetails"]
    assert detail["imageDigest"] == DIGEST and detail["imageTags"] == ["1.0"]
    assert detail["imageManifestMediaType"] == "application/vnd.oci.image.index.v1+json"
    # One of two missing: the call fails, as AWS's does.
    with pytest.raises(ClientError) as err:
        ecr.describe_images(repositoryName="team/app", imageIds=[missing, {"imageTag": "2.0"}])
    assert err.value.response["Error"]["Code"] == "ImageNotFoundException"
    # PutImage's images are moto's, as before.
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
                           "digest": "sha256:" + "cd" * 32}, "layers": []}
    ecr.put_image(repositoryName="team/app", imageTag="2.0", imageManifest=json.dumps(manifest))
    assert ecr.describe_images(repositoryName="team/app", imageIds=[{"imageTag": "2.0"}])["imageDetails"]
    requests.delete(url, params={"account": account}, timeout=10)
