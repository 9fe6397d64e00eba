"""ECR `DescribeImages` for images pushed through the registry API to a test's local registry.

On AWS an image pushed with the registry API (`docker push`, `shinyctl images mirror`) is an image
of the repository: `DescribeImages` lists it (botocore model ecr 2015-09-21 `DescribeImages`,
`ImageDetail`: `registryId`, `repositoryName`, `imageDigest`, `imageTags`, `imageSizeInBytes`,
`imagePushedAt`, `imageManifestMediaType`; `ImageNotFoundException` "The image requested does not
exist in the specified repository" for `imageIds` it lacks). The emulator does not serve the
registry API: a test points the account's registry at a local OCI registry (`ecr_auth.py`,
`PUT /_emulator/ecr/registry`). So, for such an account, `DescribeImages` with `imageIds` that
moto's store lacks (it holds only what `PutImage` put) asks the local registry for each one's
manifest (`HEAD /v2/<repository>/manifests/<tag or digest>`, OCI distribution spec) and answers
those it has. The repository must still exist in ECR (`RepositoryNotFoundException` otherwise,
moto's answer); a listing without `imageIds` stays moto's.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request

from . import ecr_auth
from .errors import AwsError
from .hooks import Response, on

# What a registry answers a manifest with (OCI image spec, Docker's schema 2).
_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


def _local_registry(account: str) -> str | None:
    with ecr_auth._lock:
        return ecr_auth._endpoints.get(account)


def _manifest(registry: str, repository: str, reference: str) -> tuple[str, str, int] | None:
    """(digest, media type, size) of the manifest, or None when the registry lacks it."""
    request = urllib.request.Request(f"{registry}/v2/{repository}/manifests/{reference}", method="HEAD",
                                     headers={"Accept": _ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return (answer.headers.get("Docker-Content-Digest", ""), answer.headers.get("Content-Type", ""),
                    int(answer.headers.get("Content-Length") or 0))
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return None
        raise AwsError("ServerException", f"the local registry answered {err.code}", 500, False)
    except OSError as err:
        raise AwsError("ServerException", f"the local registry cannot be reached: {err}", 500, False)


@on("ecr", "DescribeImages")
def describe_images(ctx, call_next):
    resp = call_next()
    registry = _local_registry(ctx.account)
    params = ctx.params()
    ids = params.get("imageIds") or []
    if registry is None or not ids or resp.status < 400:
        return resp
    try:
        code = json.loads(resp.body or b"{}").get("__type", "")
    except ValueError:
        return resp
    if not code.endswith("ImageNotFoundException"):
        return resp  # no such repository, or another refusal: moto's answer stands
    repository = params.get("repositoryName", "")
    details = []
    for image_id in ids:
        reference = image_id.get("imageDigest") or image_id.get("imageTag") or ""
        found = _manifest(registry, repository, reference)
        if found is None:
            return resp
        digest, media_type, size = found
        detail = {"registryId": params.get("registryId") or ctx.account, "repositoryName": repository,
                  "imageDigest": digest, "imageSizeInBytes": size,
                  "imagePushedAt": dt.datetime.now(dt.timezone.utc).timestamp(),
                  "imageManifestMediaType": media_type}
        if image_id.get("imageTag"):
            detail["imageTags"] = [image_id["imageTag"]]
        details.append(detail)
    return Response(200, [("Content-Type", "application/x-amz-json-1.1")],
                    json.dumps({"imageDetails": details}).encode())
