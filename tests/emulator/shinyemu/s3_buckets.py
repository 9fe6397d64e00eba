"""S3 buckets: who may look at one, and ListBuckets as AWS pages it.

HeadBucket on a bucket another account owns: moto 5.2.5 answers 200 (it checks no permissions);
S3 answers 403 Forbidden with no body ("If the bucket exists but you don't have permission to
access it, HEAD returns 403 Forbidden": HeadBucket documentation, botocore `s3`). That is how a
name taken by someone else shows before CreateBucket's `BucketAlreadyExists`.

ListBuckets:
moto 5.2.5 takes `max-buckets` as a cut-off (no ContinuationToken, the rest is lost), and answers
no `BucketRegion`. AWS (botocore `s3` ListBuckets, ListBucketsRequest/Output and Bucket shapes):
- `prefix` and `bucket-region` filter; `max-buckets` (1 to 10,000) is a page size, and a
  `ContinuationToken` in the answer (opaque) continues the listing;
- with `bucket-region`, `prefix` or `continuation-token` but no `max-buckets` the page size is
  10,000;
- `BucketRegion` is in each entry when the request has at least one valid parameter, and
  `Prefix` is echoed when sent;
- buckets come in name order (ListBuckets lists them alphabetically).
"""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape

from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from .errors import AwsError
from .hooks import Response, on

DEFAULT_PAGE = 10_000
_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def _token(name: str) -> str:
    return base64.urlsafe_b64encode(f"after:{name}".encode()).decode()


def _after(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith("after:"):
        raise AwsError("InvalidArgument", "The continuation token provided is incorrect")
    return text[len("after:"):]


@on("s3", "HeadBucket")
def head_bucket(ctx, call_next):
    owner = s3_backends.bucket_accounts.get(ctx.params().get("Bucket", ""))
    if owner is not None and owner[1] != ctx.account:
        return Response(403, [("Content-Type", "application/xml")], b"")
    return call_next()


@on("s3", "ListBuckets")
def list_buckets(ctx, _next):
    p = ctx.params()
    prefix = p.get("Prefix")
    region = p.get("BucketRegion")
    token = p.get("ContinuationToken")
    raw_max = p.get("MaxBuckets")
    paginated = any(v is not None for v in (prefix, region, token, raw_max))
    page = DEFAULT_PAGE
    if raw_max is not None:
        try:
            page = int(raw_max)
        except ValueError:
            page = 0
        if not 1 <= page <= DEFAULT_PAGE:
            raise AwsError("InvalidArgument", "max-buckets must be between 1 and 10000")
    backend = s3_backends[ctx.account][get_partition(ctx.region)]
    buckets = sorted(backend.buckets.values(), key=lambda b: b.name)
    if prefix:
        buckets = [b for b in buckets if b.name.startswith(prefix)]
    if region:
        buckets = [b for b in buckets if b.region_name == region]
    if token is not None:
        after = _after(token)
        buckets = [b for b in buckets if b.name > after]
    more = paginated and len(buckets) > page
    if paginated:
        buckets = buckets[:page]
    entries = []
    for b in buckets:
        where = f"<BucketRegion>{escape(b.region_name)}</BucketRegion>" if paginated else ""
        entries.append(f"<Bucket><Name>{escape(b.name)}</Name>"
                       f"<CreationDate>{b.creation_date_ISO8601}</CreationDate>{where}</Bucket>")
    tail = ""
    if more:
        tail += f"<ContinuationToken>{_token(buckets[-1].name)}</ContinuationToken>"
    if prefix is not None:
        tail += f"<Prefix>{escape(prefix)}</Prefix>"
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="{_NS}">'
            f"<Owner><ID>{ctx.account}</ID></Owner><Buckets>{''.join(entries)}</Buckets>{tail}"
            f"</ListAllMyBucketsResult>")
    return Response(200, [("Content-Type", "application/xml")], body.encode())
