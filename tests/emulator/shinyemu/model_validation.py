"""Every request is checked against AWS's own service model before anything answers it.

The request is parsed into the operation's input members by moto's model-driven parsers
(`moto.core.parse`, one per protocol; CBOR is decoded and read as awsJson), then walked
against botocore's input shape: required members, enums, string/blob length, `pattern`
(Java regex syntax such as `\\p{L}`, run by the `regex` module and matched against the WHOLE
value as Java's `matches` does), numeric ranges, list and map lengths, map keys and values,
nested structures. A violation is refused the way that service refuses it (ERROR_SHAPES),
in its protocol's shape (errors.render), before faults, handlers or moto see the request.

Messages follow AWS's Coral form, which botocore users see verbatim, e.g. (Lambda)
`1 validation error detected: Value 'lambdarole' at 'role' failed to satisfy constraint:
Member must satisfy regular expression pattern: arn:...` (github.com/aarondfrancis/sidecar#147);
several violations: `N validation errors detected: ...; ...`. Paths are the member names with a
lower-case first letter, list items `name.N.member` (1-based), as in `tags.1.member.value`.
A member the model marks `sensitive` is never echoed: its value reads `***`.
"""

from __future__ import annotations

import json
import logging
import sys
from functools import lru_cache

import regex
from werkzeug.datastructures import EnvironHeaders, MultiDict

from .errors import AwsError
from .requestinfo import RequestInfo, service_model

log = logging.getLogger(__name__)

# (error code, HTTP status) per service for a request the model refuses; the message names the
# member path, the value and the constraint. Sources:
# - query services: the "Common Errors" page of each API reference (IAM, STS, RDS, ElastiCache,
#   ELBv2, SNS): `ValidationError` 400, "The input fails to satisfy the constraints specified by
#   an AWS service". CloudWatch models it (ValidationException, awsQueryError code ValidationError),
#   the same code over query, awsJson and rpc-v2-CBOR (awsQueryCompatible).
# - ec2: EC2 API reference, "Error codes for the Amazon EC2 API": `InvalidParameterValue` and,
#   for an absent required parameter, `MissingParameter`, both 400.
# - ecr: `InvalidParameterException` 400 with its own wording, "Invalid parameter at
#   'repositoryName' failed to satisfy constraint: 'must satisfy regular expression ...'"
#   (github.com/jenkins-x/jx#1344, aws/aws-dotnet-deploy#549).
# - lambda: `ValidationException` 400, Coral message (highsource/bitcoin-a-day#1, sidecar#147).
# - eks: `InvalidParameterException` 400 — its model's only parameter error ("The specified
#   parameter is invalid").
# - efs: `BadRequest` 400 — its model: "Returned if the request is malformed or contains an error
#   such as an invalid parameter value or a missing required parameter".
# - resourcegroupstaggingapi: `InvalidParameterException` 400 — its model: "A required parameter
#   is missing. A provided string parameter is malformed ...".
# - synthetics: `ValidationException` 400 — its model: "A parameter could not be validated".
# - secretsmanager, ssm and other awsJson / restJson services: Coral's `ValidationException` 400.
# - s3: `InvalidArgument` 400 (S3 API reference, "Error responses": "Invalid Argument").
ERROR_SHAPES = {
    "ec2": ("InvalidParameterValue", 400),
    "ecr": ("InvalidParameterException", 400),
    "eks": ("InvalidParameterException", 400),
    "efs": ("BadRequest", 400),
    "resourcegroupstaggingapi": ("InvalidParameterException", 400),
    "cloudwatch": ("ValidationError", 400),
    "s3": ("InvalidArgument", 400),
}
_BY_PROTOCOL = {"query": ("ValidationError", 400), "ec2": ("InvalidParameterValue", 400),
                "rest-xml": ("InvalidArgument", 400)}
_DEFAULT = ("ValidationException", 400)


def check(info: RequestInfo, environ, state) -> None:
    """Raises the service's validation error when the request breaks its model (unless the
    account switched validation off: `state.unvalidated_accounts`, tests of the emulator only)."""
    if info.account in state.unvalidated_accounts:
        return
    model = _model(info.service)
    if model is None or info.operation not in model.operation_names:
        return
    op = model.operation_model(info.operation)
    if op.input_shape is None:
        return
    try:
        params = _parse(info, environ, op)
    except Exception as err:  # what moto cannot parse, moto answers itself
        print(f"model validation: {info.service} {info.operation} not parsed, not checked: {err!r}",
              file=sys.stderr, flush=True)
        return
    violations: list[tuple[str, str, str]] = []
    _walk(op.input_shape, params, "", violations, False)
    if violations:
        err = _error(info, violations)
        # One line on the emulator's stderr, so a refused test run shows what AWS would refuse.
        print(f"model validation: {info.service} {info.operation} refused: {err.code}: {err.message}",
              file=sys.stderr, flush=True)
        raise err


@lru_cache(maxsize=None)
def _model(service: str):
    """botocore's model (its Loader, the pinned botocore's data) in moto's shape classes, which
    moto's parsers need (e.g. `ListShape.is_flattened`)."""
    from moto.core.utils import get_service_model

    if service_model(service) is None:
        return None
    return get_service_model(service)


# ---- parsing -----------------------------------------------------------------------------

def _parse(info: RequestInfo, environ, op) -> dict:
    from moto.core.parse import PROTOCOL_PARSERS

    protocol = info.protocol
    body = info.body
    if protocol == "smithy-rpc-v2-cbor":
        import cbor2

        from .cbor_cloudwatch import to_json_value

        body = json.dumps(to_json_value(cbor2.loads(body) if body else {})).encode()
        protocol = "json"
    values = MultiDict()
    for k, vs in info.query.items():
        for v in vs:
            values.add(k, v)
    if protocol in ("query", "ec2"):
        from urllib.parse import parse_qs

        for k, vs in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
            for v in vs:
                values.add(k, v)
    request = {"body": body, "headers": EnvironHeaders(environ), "method": environ.get("REQUEST_METHOD", "POST"),
               "url_params": dict(info.path_params), "url_path": environ.get("PATH_INFO", "/"),
               "values": values}
    parsed = PROTOCOL_PARSERS[protocol](op).parse(request)
    return parsed if isinstance(parsed, dict) else {}


# ---- the rules ---------------------------------------------------------------------------

# Java's \w \d \s are ASCII-only (java.util.regex.Pattern without UNICODE_CHARACTER_CLASS) while
# \p{L} is Unicode; Python's are Unicode, and its ASCII flag would also narrow \p{L}. So these
# three are spelled out, inside a character class and outside.
_ASCII_CLASSES = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}


def java_to_python(pattern: str) -> str:
    out, in_class, i = [], False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _ASCII_CLASSES:
                body = _ASCII_CLASSES[nxt]
                out.append(body if in_class else f"[{body}]")
                if in_class and pattern[i + 2:i + 3] == "-":  # Java: `[\w-/]` is \w, '-', '/'
                    out.append("\\-")
                    i += 1
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=None)
def _pattern(text: str):
    try:
        return regex.compile(java_to_python(text))
    except regex.error as err:  # never refuse on a pattern we cannot read
        log.warning("model pattern not compiled (%s): %s", err, text)
        return None


def _child(path: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


def _scalar_rules(shape, value) -> list[str]:
    """The Coral constraint texts `value` breaks (strings, blobs, numbers)."""
    meta = shape.metadata
    out = []
    t = shape.type_name
    if t in ("string", "blob") and isinstance(value, (str, bytes)):
        if "min" in meta and len(value) < meta["min"]:
            out.append(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"Member must have length less than or equal to {meta['max']}")
        if t == "string" and "pattern" in meta:
            rx = _pattern(meta["pattern"])
            if rx is not None and rx.fullmatch(value) is None:
                out.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
        if t == "string" and "enum" in meta and value not in meta["enum"]:
            out.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
    elif t in ("integer", "long", "float", "double", "short", "byte") and isinstance(value, (int, float)):
        if "min" in meta and value < meta["min"]:
            out.append(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            out.append(f"Member must have value less than or equal to {meta['max']}")
    return out


def _walk(shape, value, path: str, out: list, sensitive: bool) -> None:
    sensitive = sensitive or bool(shape.metadata.get("sensitive"))
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        if shape.is_document_type:
            return
        for name in shape.required_members:
            if value.get(name) is None:
                out.append((_child(path, name), None, "Member must not be null"))
        for name, member in shape.members.items():
            v = value.get(name)
            if v is not None:
                _walk(member, v, _child(path, name), out, sensitive)
    elif t == "list" and isinstance(value, list):
        _length(shape, value, path, out, sensitive)
        for i, item in enumerate(value, 1):
            if item is not None:
                _walk(shape.member, item, f"{path}.{i}.member", out, sensitive)
    elif t == "map" and isinstance(value, dict):
        _length(shape, value, path, out, sensitive)
        key_rules = sorted({r for k in value for r in _scalar_rules(shape.key, k)})
        if key_rules:
            out.append((path, _show(value, sensitive), f"Map keys must satisfy constraint: [{', '.join(key_rules)}]"))
        if shape.value.type_name in ("structure", "list", "map"):
            for k, v in value.items():
                if v is not None:
                    _walk(shape.value, v, f"{path}.{k}", out, sensitive)
        else:
            rules = sorted({r for v in value.values() if v is not None for r in _scalar_rules(shape.value, v)})
            if rules:
                out.append((path, _show(value, sensitive), f"Map value must satisfy constraint: [{', '.join(rules)}]"))
    else:
        for rule in _scalar_rules(shape, value):
            out.append((path, _show(value, sensitive), rule))


def _length(shape, value, path, out, sensitive) -> None:
    meta = shape.metadata
    if "min" in meta and len(value) < meta["min"]:
        out.append((path, _show(value, sensitive), f"Member must have length greater than or equal to {meta['min']}"))
    if "max" in meta and len(value) > meta["max"]:
        out.append((path, _show(value, sensitive), f"Member must have length less than or equal to {meta['max']}"))


def _show(value, sensitive: bool) -> str:
    if sensitive:
        return "***"
    if isinstance(value, bytes):
        return f"java.nio.HeapByteBuffer[len={len(value)}]"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v, False) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v, False)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


# ---- the answer --------------------------------------------------------------------------

def _error(info: RequestInfo, violations: list) -> AwsError:
    code, status = ERROR_SHAPES.get(info.service) or _BY_PROTOCOL.get(info.protocol) or _DEFAULT
    if info.service == "ec2" and all(v is None for _, v, _ in violations):
        code = "MissingParameter"
    if info.service == "ecr":  # ECR words it its own way (see ERROR_SHAPES)
        path, _, rule = violations[0]
        rule = rule.removeprefix("Member ")
        if rule.startswith("must satisfy regular expression pattern: "):
            rule = f"must satisfy regular expression '{rule.split(': ', 1)[1]}'"
        return AwsError(code, f"Invalid parameter at '{path}' failed to satisfy constraint: '{rule}'", status)
    parts = [f"Value {_quoted(v)} at '{p}' failed to satisfy constraint: {rule}" for p, v, rule in violations]
    n = len(parts)
    head = f"{n} validation error{'s' if n > 1 else ''} detected: "
    return AwsError(code, head + "; ".join(parts), status)


def _quoted(value: str | None) -> str:
    return "null" if value is None else f"'{value}'"
