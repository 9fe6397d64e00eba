"""S3 buckets: 403 on another account's bucket; ListBuckets pages like AWS (prefix and region
filters, max-buckets pages with a token)."""

import pytest
from botocore.exceptions import ClientError


def make(emu, account, region, names):
    s3 = emu.client("s3", account, region)
    for name in names:
        conf = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **conf)
    return s3


def test_pages_filter_by_prefix_and_region(emu, zero_account):
    mine = [f"demo-b{i}" for i in range(5)]
    s3 = make(emu, zero_account, "us-east-1", mine + ["other-x"])
    make(emu, zero_account, "eu-west-1", ["demo-far"])

    seen, pages, token = [], 0, None
    while True:
        kwargs = {"ContinuationToken": token} if token else {}
        page = s3.list_buckets(Prefix="demo-", BucketRegion="us-east-1", MaxBuckets=2, **kwargs)
        pages += 1
        assert page["Prefix"] == "demo-"
        assert all(b["BucketRegion"] == "us-east-1" for b in page["Buckets"])
        seen += [b["Name"] for b in page["Buckets"]]
        token = page.get("ContinuationToken")
        if not token:
            break
    assert seen == mine and pages == 3

    # Without parameters: every bucket in one answer, no region given (AWS's legacy form).
    everything = s3.list_buckets()
    assert {b["Name"] for b in everything["Buckets"]} >= set(mine) | {"other-x", "demo-far"}
    assert "ContinuationToken" not in everything

    with pytest.raises(ClientError) as err:
        s3.list_buckets(MaxBuckets=10001)
    assert err.value.response["Error"]["Code"] == "InvalidArgument"


def test_another_accounts_bucket_is_forbidden(emu, zero_account):
    mine = make(emu, zero_account, "eu-west-1", ["taken-by-zero"])
    other = emu.client("s3", str(int(zero_account) + 1), "eu-west-1")
    assert mine.head_bucket(Bucket="taken-by-zero")["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as err:
        other.head_bucket(Bucket="taken-by-zero")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as err:
        other.create_bucket(Bucket="taken-by-zero", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert err.value.response["Error"]["Code"] == "BucketAlreadyExists"
    with pytest.raises(ClientError) as err:
        other.head_bucket(Bucket="nobody-has-this-one")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
