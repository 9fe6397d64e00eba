"""CloudWatch Synthetics, served by the emulator itself (moto's has text dates where the
API has epoch numbers, and lacks start/stop/update/delete).

Canaries live through CREATING -> READY, STARTING -> RUNNING, STOPPING -> STOPPED with
durations from the profile (canary_create, canary_start, canary_stop). Creating a canary
creates its Lambda function and layer in moto's Lambda backend, named like AWS names them
(`cwsyn-<canary>-<uuid>`); deleting the canary leaves both behind, as AWS does, unless
DeleteLambda is true (then the function and the layer go too).
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import time
import uuid
import zipfile

from .errors import AwsError
from .hooks import Response, on
from .lifecycle import Phase, duration
from .partition import partition_of

_lock = threading.RLock()
_canaries: dict[tuple[str, str], dict[str, "Canary"]] = {}
_NAME = re.compile(r"^[0-9a-z_\-]{1,255}$")
TRANSITIONAL = {"CREATING", "STARTING", "STOPPING", "UPDATING", "DELETING"}

_FIELDS = ("Code", "ExecutionRoleArn", "Schedule", "RunConfig", "SuccessRetentionPeriodInDays",
           "FailureRetentionPeriodInDays", "ArtifactS3Location", "RuntimeVersion", "VpcConfig",
           "ProvisionedResourceCleanup", "BrowserConfigs", "ArtifactConfig", "KmsKeyArn", "VisualReference")


class Canary:
    def __init__(self, account: str, region: str, params: dict) -> None:
        self.account, self.region = account, region
        self.name = params["Name"]
        self.id = str(uuid.uuid4())
        self.fields = {k: params[k] for k in _FIELDS if k in params}
        self.fields.setdefault("Schedule", {"Expression": "rate(5 minutes)", "DurationInSeconds": 0})
        self.fields.setdefault("RunConfig", {"TimeoutInSeconds": 60, "MemoryInMB": 960, "ActiveTracing": False})
        self.fields.setdefault("SuccessRetentionPeriodInDays", 31)
        self.fields.setdefault("FailureRetentionPeriodInDays", 31)
        self.tags: dict[str, str] = dict(params.get("Tags") or {})
        now = time.time()
        self.timeline = {"Created": now, "LastModified": now, "LastStarted": None, "LastStopped": None}
        self.phase = Phase(now, [("CREATING", duration("canary_create"))], "READY")
        self.lambda_name = f"cwsyn-{self.name}-{uuid.uuid4()}"
        self.layer_arn = ""
        self.function_arn = ""
        # (StateReason, StateReasonCode) once the canary has failed (state ERROR).
        self.failure: tuple[str, str] | None = None

    @property
    def arn(self) -> str:
        return f"arn:{partition_of(self.region)}:synthetics:{self.region}:{self.account}:canary:{self.name}"

    def state(self) -> str:
        return self.phase.state(time.time())

    def _status(self, state: str) -> dict:
        if state == "ERROR" and self.failure is not None:
            return {"State": state, "StateReason": self.failure[0], "StateReasonCode": self.failure[1]}
        return {"State": state, "StateReason": _REASONS.get(state, ""),
                "StateReasonCode": _REASON_CODES.get(state, "")}

    def to_dict(self) -> dict:
        state = self.state()
        code = dict(self.fields.get("Code") or {})
        code.pop("ZipFile", None)
        code.pop("S3Bucket", None)
        code.pop("S3Key", None)
        code.pop("S3Version", None)
        code["SourceLocationArn"] = self.layer_arn
        out = {
            "Id": self.id,
            "Name": self.name,
            **{k: v for k, v in self.fields.items() if k != "Code"},
            "Code": code,
            "Status": self._status(state),
            "Timeline": {k: v for k, v in self.timeline.items() if v is not None},
            "EngineArn": f"{self.function_arn}:1" if self.function_arn else "",
            "Tags": self.tags,
        }
        return out


_REASONS = {"CREATING": "Canary is being created", "READY": "Canary created successfully",
            "STARTING": "Canary is starting", "RUNNING": "Canary is running",
            "STOPPING": "Canary is stopping", "STOPPED": "Canary stopped"}
_REASON_CODES = {"CREATING": "CREATE_PENDING", "READY": "CREATE_COMPLETE", "STARTING": "",
                 "RUNNING": "", "STOPPING": "", "STOPPED": ""}


def _store(ctx) -> dict[str, Canary]:
    return _canaries.setdefault((ctx.account, ctx.region), {})


def _get(ctx, name: str) -> Canary:
    c = _store(ctx).get(name)
    if c is None:
        raise AwsError("ResourceNotFoundException", f"Canary {name} does not exist.", 404)
    return c


def _ok(data: dict) -> Response:
    return Response(200, [("Content-Type", "application/json")], json.dumps(data).encode())


def _tiny_zip(handler: str) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("nodejs/node_modules/index.js", f"// canary handler {handler}\n")
    return base64.b64encode(buf.getvalue()).decode()


def _create_lambda(ctx, canary: Canary) -> None:
    """The canary's Lambda function and layer, in moto's Lambda backend (as AWS creates them)."""
    from moto.awslambda.models import LambdaFunction, lambda_backends

    be = lambda_backends[ctx.account][ctx.region]
    handler = (canary.fields.get("Code") or {}).get("Handler", "index.handler")
    layer = be.publish_layer_version({
        "LayerName": canary.lambda_name,
        "Description": f"Created by Synthetics for canary {canary.name}",
        "Content": {"ZipFile": _tiny_zip(handler)},
        "CompatibleRuntimes": ["nodejs18.x"],
    })
    canary.layer_arn = layer.arn
    fn = LambdaFunction(account_id=ctx.account, region=ctx.region, version="$LATEST", spec={
        "FunctionName": canary.lambda_name,
        "Runtime": "nodejs18.x",
        "Role": canary.fields.get("ExecutionRoleArn", ""),
        "Handler": handler,
        "Code": {"ZipFile": _tiny_zip(handler)},
        "Layers": [layer.arn],
        "Description": f"Synthetics canary {canary.name}",
        "Timeout": 60,
        "MemorySize": 960,
    })
    # Stored directly: AWS's Synthetics service does not need the role to exist first.
    storage = be._lambdas
    storage._functions[fn.function_name] = {"latest": fn, "versions": []}
    storage._arns[fn.function_arn] = fn
    be.publish_version(fn.function_name)
    canary.function_arn = fn.function_arn


def _delete_lambda(ctx, canary: Canary) -> None:
    from moto.awslambda.models import lambda_backends

    be = lambda_backends[ctx.account][ctx.region]
    try:
        be.delete_function(canary.lambda_name)
    except Exception:
        pass
    try:
        for layer in list(be.list_layers()):
            if layer.get("LayerName") == canary.lambda_name:
                be.delete_layer_version(canary.lambda_name, "1")
    except Exception:
        pass


@on("synthetics", "CreateCanary")
def create_canary(ctx, _next):
    p = ctx.params()
    name = p.get("Name", "")
    if not _NAME.match(name):
        raise AwsError("ValidationException", "Canary name must match ^[0-9a-z_\\-]+$", 400)
    for required in ("Code", "ArtifactS3Location", "ExecutionRoleArn", "Schedule", "RuntimeVersion"):
        if required not in p:
            raise AwsError("ValidationException", f"{required} is required", 400)
    with _lock:
        if name in _store(ctx):
            raise AwsError("ValidationException", f"Canary {name} already exists.", 400)
        canary = Canary(ctx.account, ctx.region, p)
        _create_lambda(ctx, canary)
        _store(ctx)[name] = canary
    return _ok({"Canary": canary.to_dict()})


@on("synthetics", "GetCanary")
def get_canary(ctx, _next):
    return _ok({"Canary": _get(ctx, ctx.params().get("name")).to_dict()})


@on("synthetics", "DescribeCanaries")
def describe_canaries(ctx, _next):
    names = ctx.params().get("Names")
    canaries = [c for c in _store(ctx).values() if not names or c.name in names]
    return _ok({"Canaries": [c.to_dict() for c in canaries]})


@on("synthetics", "DescribeCanariesLastRun")
def describe_last_run(ctx, _next):
    return _ok({"CanariesLastRun": []})


@on("synthetics", "GetCanaryRuns")
def get_canary_runs(ctx, _next):
    _get(ctx, ctx.params().get("name"))
    return _ok({"CanaryRuns": []})


@on("synthetics", "StartCanary")
def start_canary(ctx, _next):
    with _lock:
        c = _get(ctx, ctx.params().get("name"))
        state = c.state()
        if state not in ("READY", "STOPPED", "ERROR"):
            raise AwsError("ConflictException", f"Canary {c.name} is in state {state} and cannot be started.", 409)
        now = time.time()
        c.timeline["LastStarted"] = now
        c.phase = Phase(now, [("STARTING", duration("canary_start"))], "RUNNING")
    return _ok({})


@on("synthetics", "StopCanary")
def stop_canary(ctx, _next):
    with _lock:
        c = _get(ctx, ctx.params().get("name"))
        state = c.state()
        if state not in ("RUNNING", "STARTING"):
            raise AwsError("ConflictException", f"Canary {c.name} is not running (state {state}).", 409)
        now = time.time()
        c.timeline["LastStopped"] = now
        c.phase = Phase(now, [("STOPPING", duration("canary_stop"))], "STOPPED")
    return _ok({})


@on("synthetics", "UpdateCanary")
def update_canary(ctx, _next):
    p = ctx.params()
    with _lock:
        c = _get(ctx, p.get("name"))
        state = c.state()
        if state in TRANSITIONAL:
            raise AwsError("ConflictException", f"Canary {c.name} is in state {state}; try again later.", 409)
        for k in _FIELDS:
            if k in p:
                if isinstance(p[k], dict) and isinstance(c.fields.get(k), dict):
                    c.fields[k] = {**c.fields[k], **p[k]}
                else:
                    c.fields[k] = p[k]
        c.timeline["LastModified"] = time.time()
    return _ok({})


@on("synthetics", "DeleteCanary")
def delete_canary(ctx, _next):
    p = ctx.params()
    with _lock:
        c = _get(ctx, p.get("name"))
        state = c.state()
        if state == "RUNNING" or state in TRANSITIONAL:
            raise AwsError("ConflictException",
                           f"Canary {c.name} is in state {state}; stop it before deleting it.", 409)
        del _store(ctx)[c.name]
    if str(p.get("deleteLambda", p.get("DeleteLambda", "false"))).lower() == "true":
        _delete_lambda(ctx, c)
    return _ok({})


def _by_arn(ctx, arn: str) -> Canary:
    name = arn.rsplit(":", 1)[-1]
    c = _store(ctx).get(name)
    if c is None or c.arn != arn.replace("arn:aws:", f"arn:{partition_of(ctx.region)}:"):
        raise AwsError("NotFoundException", f"{arn} not found", 404)
    return c


@on("synthetics", "ListTagsForResource")
def list_tags(ctx, _next):
    return _ok({"Tags": _by_arn(ctx, ctx.params().get("resourceArn", "")).tags})


@on("synthetics", "TagResource")
def tag_resource(ctx, _next):
    p = ctx.params()
    _by_arn(ctx, p.get("resourceArn", "")).tags.update(p.get("Tags") or {})
    return _ok({})


@on("synthetics", "UntagResource")
def untag_resource(ctx, _next):
    c = _by_arn(ctx, ctx.params().get("resourceArn", ""))
    for key in ctx.info.query.get("tagKeys", []):
        c.tags.pop(key, None)
    return _ok({})
