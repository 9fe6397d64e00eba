"""Identifies an AWS request: service, operation, region, account and wire protocol.

Service and region come from the SigV4 credential scope; the operation from the
protocol's own marker (X-Amz-Target, the query `Action`, the rpcv2-CBOR path) or, for
the REST protocols, by matching method and path against botocore's service model.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, unquote

import botocore.session

DEFAULT_ACCOUNT = "123456789012"

# SigV4 signing name -> botocore service model name, where they differ.
SIGNING_TO_MODEL = {
    "monitoring": "cloudwatch",
    "elasticfilesystem": "efs",
    "elasticloadbalancing": "elbv2",
    "tagging": "resourcegroupstaggingapi",
    "application-autoscaling": "application-autoscaling",
    "email": "ses",
    "states": "stepfunctions",
    "execute-api": "apigateway",
    "events": "events",
    "servicequotas": "service-quotas",
}

_session_lock = threading.Lock()
_session = botocore.session.get_session()


@lru_cache(maxsize=None)
def service_model(name: str):
    with _session_lock:
        try:
            return _session.get_service_model(name)
        except Exception:  # unknown to botocore
            return None


@dataclass
class RequestInfo:
    service: str  # botocore model name, e.g. "ec2", "eks", "cloudwatch"
    operation: str  # e.g. "DescribeVpcs"
    region: str
    account: str
    protocol: str  # ec2 | query | json | rest-json | rest-xml | smithy-rpc-v2-cbor
    body: bytes
    path_params: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)

    _params: dict | None = None

    def params(self) -> dict:
        """The request's parameters, flattened the way the protocol sends them."""
        if self._params is None:
            self._params = parse_params(self)
        return self._params


def parse_params(info: RequestInfo) -> dict:
    import json

    if info.protocol in ("query", "ec2"):
        text = info.body.decode("utf-8", "replace")
        flat = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        flat.update({k: v[0] for k, v in info.query.items() if k not in flat})
        return flat
    if info.protocol == "smithy-rpc-v2-cbor":
        import cbor2

        return cbor2.loads(info.body) if info.body else {}
    if info.body:
        try:
            out = json.loads(info.body)
        except ValueError:
            out = {}
    else:
        out = {}
    if isinstance(out, dict):
        out = dict(out)
        out.update(info.path_params)
        for k, v in info.query.items():
            out.setdefault(k, v[0])
        out.update(_located_members(info))
    return out


def _located_members(info: RequestInfo) -> dict:
    """URI labels and query parameters under their member names (e.g. DeleteNodegroup's
    `{name}` label is the member `clusterName`)."""
    model = service_model(info.service)
    if model is None or info.operation not in model.operation_names:
        return {}
    shape = model.operation_model(info.operation).input_shape
    out = {}
    for member_name, member in (shape.members.items() if shape is not None else []):
        loc = member.serialization.get("location")
        wire = member.serialization.get("name", member_name)
        if loc == "uri" and wire in info.path_params:
            out[member_name] = info.path_params[wire]
        elif loc == "querystring" and wire in info.query:
            values = info.query[wire]
            out[member_name] = values if member.type_name == "list" else values[0]
    return out


_SCOPE = re.compile(r"Credential=[^/]*/\d{8}/([^/]+)/([^/]+)/aws4_request")


def account_of(environ) -> str:
    return environ.get("HTTP_X_MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT


def identify(environ, body: bytes) -> RequestInfo | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = _SCOPE.search(auth)
    if not m:
        # Presigned URLs carry the scope in the query string.
        q = parse_qs(environ.get("QUERY_STRING", ""))
        cred = q.get("X-Amz-Credential", [""])[0]
        parts = cred.split("/")
        if len(parts) != 5:
            return None
        region, signing = parts[2], parts[3]
    else:
        region, signing = m.group(1), m.group(2)
    path = environ.get("PATH_INFO", "") or "/"
    if isinstance(path, bytes):
        path = path.decode("utf-8")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    method = environ.get("REQUEST_METHOD", "GET")
    account = account_of(environ)

    name = SIGNING_TO_MODEL.get(signing, signing)
    if signing == "elasticloadbalancing" and b"Version=2012-06-01" in body:
        name = "elb"
    model = service_model(name)
    protocol = _protocol_of(environ, model)
    op = ""
    path_params: dict = {}
    if protocol == "smithy-rpc-v2-cbor" or environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
        protocol = "smithy-rpc-v2-cbor"
        op = path.rsplit("/operation/", 1)[-1] if "/operation/" in path else ""
    elif environ.get("HTTP_X_AMZ_TARGET"):
        op = environ["HTTP_X_AMZ_TARGET"].rsplit(".", 1)[-1]
        if protocol not in ("json",):
            protocol = "json"
    elif protocol in ("query", "ec2"):
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        op = (form.get("Action") or query.get("Action") or [""])[0]
    elif model is not None:
        op, path_params = _match_rest(name, method, path, query, environ)
    return RequestInfo(
        service=name,
        operation=op or f"{method} {path}",
        region=region,
        account=account,
        protocol=protocol,
        body=body,
        path_params=path_params,
        query=query,
    )


def _protocol_of(environ, model) -> str:
    if model is None:
        return "rest-json"
    meta = model.metadata
    protocols = meta.get("protocols") or [meta.get("protocol")]
    if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
        return "smithy-rpc-v2-cbor"
    if environ.get("HTTP_X_AMZ_TARGET") and "json" in protocols:
        return "json"
    ctype = environ.get("CONTENT_TYPE", "")
    if "x-www-form-urlencoded" in ctype and "query" in protocols:
        return "query"
    # Without any marker, prefer the service's classic protocol.
    for p in ("ec2", "query", "rest-xml", "rest-json", "json"):
        if p in protocols:
            return p
    return protocols[0]


@lru_cache(maxsize=None)
def _rest_routes(name: str):
    model = service_model(name)
    routes = []
    for op_name in model.operation_names:
        http = model.operation_model(op_name).http
        uri = http.get("requestUri", "/")
        path_part, _, query_part = uri.partition("?")
        regex = ""
        labels = []
        literal = 0
        for piece in re.split(r"(\{[^}]+\})", path_part):
            if piece.startswith("{"):
                label = piece[1:-1]
                greedy = label.endswith("+")
                label = label.rstrip("+")
                labels.append(label)
                regex += f"(?P<{_group(label)}>.+)" if greedy else f"(?P<{_group(label)}>[^/]+)"
            else:
                regex += re.escape(piece)
                literal += len(piece)
        # `key` must be present; `key=value` (S3's `x-id=PutObject`) must have that value.
        required_query = [tuple(q.split("=", 1)) if "=" in q else (q, None)
                          for q in query_part.split("&") if q]
        # Required query-string members tell same-path operations apart too (S3's
        # AbortMultipartUpload is DeleteObject with `uploadId`).
        shape = model.operation_model(op_name).input_shape
        if shape is not None:
            for member in shape.required_members:
                ms = shape.members[member]
                if ms.serialization.get("location") == "querystring":
                    required_query.append((ms.serialization.get("name", member), None))
        routes.append(
            (http.get("method", "POST"), re.compile("^" + regex.rstrip("/") + "/?$"),
             required_query, literal + 10 * len(required_query) + _HEADER_MARKED.get(op_name, (0, ""))[0],
             op_name, labels)
        )
    return routes


def _group(label: str) -> str:
    return re.sub(r"\W", "_", label)


# Operations told apart from a same-path one only by a header (S3's CopyObject is PutObject with
# `x-amz-copy-source`): a score bonus when the header is there, no match when it is not.
_HEADER_MARKED = {"CopyObject": (5, "HTTP_X_AMZ_COPY_SOURCE"),
                  "UploadPartCopy": (5, "HTTP_X_AMZ_COPY_SOURCE")}


def _query_matches(query, required) -> bool:
    for key, value in required:
        if key not in query:
            return False
        if value is not None and value not in query[key]:
            return False
    return True


def _match_rest(name, method, path, query, environ=None):
    best = None
    for m, regex, req_q, score, op, labels in _rest_routes(name):
        if m != method:
            continue
        mt = regex.match(path)
        if not mt or not _query_matches(query, req_q):
            continue
        marker = _HEADER_MARKED.get(op)
        if marker is not None and not (environ or {}).get(marker[1]):
            continue
        if best is None or score > best[0]:
            params = {lab: unquote(mt.group(_group(lab))) for lab in labels}
            best = (score, op, params)
    if best is None:
        return "", {}
    return best[1], best[2]
