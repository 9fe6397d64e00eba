"""The aws-cn partition: in cn-* regions every ARN is `arn:aws-cn:` and every
service hostname ends in `.amazonaws.com.cn` (moto mixes in `arn:aws:` and `.amazonaws.com`)."""

from __future__ import annotations

import re

from .hooks import request_filter, response_filter

_ARN = re.compile(rb"arn:aws:")
_ARN_PCT = re.compile(rb"arn%3Aaws%3A")
_HOST = re.compile(rb"\.amazonaws\.com(?!\.cn)")
# Hostnames inside these services' answers are user documents (IAM policies name service
# principals such as eks.amazonaws.com, which stay as they are in China).
_KEEP_HOSTS = {"iam", "sts", "sns", "s3", "lambda", "kms", "secretsmanager", "ssm"}
# Services whose moto backend keys resources by an `arn:aws:` ARN even in China.
_ARN_KEYED_AS_AWS = {"elasticache"}


def is_china(region: str) -> bool:
    return region.startswith("cn-")


def partition_of(region: str) -> str:
    return "aws-cn" if is_china(region) else "aws"


def dns_suffix(region: str) -> str:
    return "amazonaws.com.cn" if is_china(region) else "amazonaws.com"


def to_region_partition(text: str, region: str) -> str:
    if not is_china(region):
        return text
    out = re.sub(r"arn:aws:", "arn:aws-cn:", text)
    return re.sub(r"\.amazonaws\.com(?!\.cn)", ".amazonaws.com.cn", out)


@request_filter
def cn_request(ctx) -> None:
    info = ctx.info
    if is_china(info.region) and info.service in _ARN_KEYED_AS_AWS and info.body:
        info.body = info.body.replace(b"arn%3Aaws-cn%3A", b"arn%3Aaws%3A").replace(b"arn:aws-cn:", b"arn:aws:")
        info._params = None


@response_filter
def cn_response(ctx, resp):
    info = ctx.info
    if not is_china(info.region) or not resp.body:
        return resp
    ctype = (resp.header("Content-Type") or "").lower()
    if "cbor" in ctype or "zip" in ctype or "octet-stream" in ctype:
        return resp  # CBOR answers are rewritten before encoding (cbor_cloudwatch)
    body = _ARN.sub(b"arn:aws-cn:", resp.body)
    body = _ARN_PCT.sub(b"arn%3Aaws-cn%3A", body)
    if info.service not in _KEEP_HOSTS:
        body = _HOST.sub(b".amazonaws.com.cn", body)
    resp.body = body
    return resp
