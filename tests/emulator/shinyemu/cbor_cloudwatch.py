"""CloudWatch over Smithy RPC v2 CBOR, the protocol `aws-sdk-cloudwatch` (Rust) speaks.

Request: `POST /service/GraniteServiceVersion20100801/operation/<Op>` with
`smithy-protocol: rpc-v2-cbor`, `Content-Type: application/cbor` and a CBOR map as body.
The emulator decodes it into the awsJson document moto's CloudWatch already serves
(X-Amz-Target `GraniteServiceVersion20100801.<Op>`), then re-encodes moto's answer as CBOR
guided by botocore's output shape: timestamps become CBOR tag 1 (epoch seconds), blobs byte
strings. Errors are CBOR maps with `__type` (a shape id) and, as CloudWatch is
awsQueryCompatible, the `x-amzn-query-error: <Code>;<Sender|Receiver>` header.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import cbor2

from .errors import AwsError
from .hooks import Response, on
from .partition import to_region_partition
from .requestinfo import service_model

TARGET_PREFIX = "GraniteServiceVersion20100801"


def to_json_value(value):
    """CBOR-decoded request value -> awsJson document value."""
    if isinstance(value, cbor2.CBORTag) and value.tag == 1:
        return value.value
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    return value


def _epoch(value) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).replace("Z", "+00:00")
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


def to_cbor_value(value, shape):
    """awsJson answer value -> CBOR value, typed by the botocore output shape."""
    if value is None or shape is None:
        return value
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            return value
        out = {}
        for k, v in value.items():
            if v is None:
                continue
            member = shape.members.get(k)
            out[k] = to_cbor_value(v, member) if member is not None else v
        return out
    if t == "list":
        return [to_cbor_value(v, shape.member) for v in value]
    if t == "map":
        return {k: to_cbor_value(v, shape.value) for k, v in value.items()}
    if t == "timestamp":
        return cbor2.CBORTag(1, _epoch(value))
    if t == "blob":
        return base64.b64decode(value) if isinstance(value, str) else value
    if t in ("double", "float"):
        return float(value)
    if t in ("integer", "long"):
        return int(value)
    if t == "boolean":
        return bool(value)
    return value


@on("cloudwatch", "*")
def cloudwatch_cbor(ctx, call_next):
    info = ctx.info
    if info.protocol != "smithy-rpc-v2-cbor":
        return call_next()
    model = service_model("cloudwatch")
    if info.operation not in model.operation_names:
        raise AwsError("UnknownOperationException", f"unknown operation {info.operation}", 404)
    try:
        doc = cbor2.loads(info.body) if info.body else {}
    except Exception as err:  # malformed CBOR
        raise AwsError("SerializationException", f"malformed CBOR body: {err}", 400)
    doc = to_json_value(doc or {})
    body = json.dumps(doc).encode()
    resp = ctx.call_moto(body, {
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/x-amz-json-1.0",
        "HTTP_X_AMZ_TARGET": f"{TARGET_PREFIX}.{info.operation}",
        "HTTP_SMITHY_PROTOCOL": None,
        "HTTP_ACCEPT": "application/json",
    })
    text = to_region_partition(resp.body.decode("utf-8", "replace"), info.region)
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        data = None
    if resp.status >= 300 or data is None:
        code = (resp.header("x-amzn-query-error") or "").split(";")[0]
        message = ""
        if isinstance(data, dict):
            code = code or str(data.get("__type", "")).split("#")[-1]
            message = data.get("message") or data.get("Message") or ""
        raise AwsError(code or "InternalFailure", message or text[:200], resp.status if resp.status >= 300 else 500,
                       sender=resp.status < 500)
    op = model.operation_model(info.operation)
    out = to_cbor_value(data, op.output_shape) if op.output_shape is not None else {}
    return Response(200, [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                          ("x-amzn-RequestId", resp.header("x-amzn-RequestId") or "")],
                    cbor2.dumps(out or {}, timezone=dt.timezone.utc))
