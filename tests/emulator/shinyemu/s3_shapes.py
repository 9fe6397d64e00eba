"""S3 answers in the shapes the AWS SDK for Rust checks.

moto 5.2.5's generic REST-XML serializer names some S3 answers' root element `<{Operation}Response>`
(`<GetBucketVersioningResponse>`) where S3 uses the payload's own name
(`<VersioningConfiguration>`). boto3 ignores the root's name; the Rust SDK refuses the answer
("the operation is not supported by this endpoint"). Rename the root where it is wrong.
"""

from __future__ import annotations

import re

from .hooks import response_filter

# Operation -> the root element S3 really sends.
_ROOTS = {
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketTagging": "Tagging",
    "GetBucketEncryption": "ServerSideEncryptionConfiguration",
    "GetPublicAccessBlock": "PublicAccessBlockConfiguration",
}


@response_filter
def s3_roots(ctx, resp):
    info = ctx.info
    root = _ROOTS.get(info.operation) if info.service == "s3" else None
    if not root or not resp.body or resp.status >= 300:
        return resp
    wrong = f"{info.operation}Response".encode()
    if wrong in resp.body[:300]:
        resp.body = re.sub(rb"<(/?)" + wrong + rb"\b", b"<\\1" + root.encode(), resp.body)
    return resp
