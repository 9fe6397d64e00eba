"""EKS add-ons, which moto lacks: CreateAddon, DescribeAddon, ListAddons, UpdateAddon,
DeleteAddon, and tags on an add-on's ARN. An add-on is CREATING, UPDATING or DELETING for the
profile's `eks_addon_create` / `eks_addon_update` / `eks_addon_delete` seconds, then ACTIVE (or
gone); add-ons go with their cluster."""

from __future__ import annotations

import json
import threading
import time
import uuid
from urllib.parse import unquote

from .errors import AwsError
from .hooks import Response, on, request_filter
from .lifecycle import duration
from .partition import partition_of

_lock = threading.Lock()
# (account, region, cluster) -> {addon name -> addon}
_addons: dict[tuple[str, str, str], dict[str, dict]] = {}
# The version EKS would pick as the default for a cluster (one per add-on is enough here).
DEFAULT_VERSIONS = {"aws-efs-csi-driver": "v2.1.4-eksbuild.1"}


def _json(status: int, data) -> Response:
    return Response(status, [("Content-Type", "application/json")], json.dumps(data).encode())


def _cluster(ctx, name: str):
    from moto.eks.models import eks_backends

    cluster = eks_backends[ctx.account][ctx.region].clusters.get(name)
    if cluster is None:
        raise AwsError("ResourceNotFoundException", f"No cluster found for name: {name}.", 404)
    return cluster


def _status(addon: dict) -> str:
    """The add-on's status now; a finished delete removes it (None)."""
    now = time.time()
    if addon["status"] in ("CREATING", "UPDATING") and now >= addon["_until"]:
        addon["status"] = "ACTIVE"
    return addon["status"]


def _reap(key) -> dict[str, dict]:
    addons = _addons.setdefault(key, {})
    for name in [n for n, a in addons.items() if a["status"] == "DELETING" and time.time() >= a["_until"]]:
        del addons[name]
    return addons


def _view(addon: dict) -> dict:
    _status(addon)
    return {k: v for k, v in addon.items() if not k.startswith("_") and v is not None}


def _addon(ctx, cluster: str, name: str) -> dict:
    _cluster(ctx, cluster)
    with _lock:
        addon = _reap((ctx.account, ctx.region, cluster)).get(name)
    if addon is None:
        raise AwsError("ResourceNotFoundException",
                       f"No addon: {name} found in cluster: {cluster}", 404)
    return addon


@on("eks", "CreateAddon")
def create_addon(ctx, _next):
    p = ctx.params()
    cluster = _cluster(ctx, p.get("clusterName", ""))
    name = p.get("addonName", "")
    if cluster.status != "ACTIVE":
        raise AwsError("ResourceInUseException", f"Cluster is in {cluster.status} state.", 409)
    now = time.time()
    addon = {
        "addonName": name,
        "clusterName": cluster.name,
        "status": "CREATING",
        "addonVersion": p.get("addonVersion") or DEFAULT_VERSIONS.get(name, "v1.0.0-eksbuild.1"),
        "health": {"issues": []},
        "addonArn": (f"arn:{partition_of(ctx.region)}:eks:{ctx.region}:{ctx.account}:addon/"
                     f"{cluster.name}/{name}/{uuid.uuid4()}"),
        "createdAt": now,
        "modifiedAt": now,
        "serviceAccountRoleArn": p.get("serviceAccountRoleArn"),
        "tags": dict(p.get("tags") or {}),
        "configurationValues": p.get("configurationValues"),
        "_until": now + duration("eks_addon_create"),
        "_token": p.get("clientRequestToken"),
    }
    with _lock:
        addons = _reap((ctx.account, ctx.region, cluster.name))
        existing = addons.get(name)
        if existing is not None:
            if existing["_token"] and existing["_token"] == addon["_token"]:
                return _json(200, {"addon": _view(existing)})
            raise AwsError("ResourceInUseException", f"Addon {name} already exists.", 409)
        addons[name] = addon
    return _json(200, {"addon": _view(addon)})


@on("eks", "DescribeAddon")
def describe_addon(ctx, _next):
    p = ctx.params()
    return _json(200, {"addon": _view(_addon(ctx, p.get("clusterName", ""), p.get("addonName", "")))})


@on("eks", "ListAddons")
def list_addons(ctx, _next):
    name = ctx.params().get("clusterName", "")
    _cluster(ctx, name)
    with _lock:
        names = sorted(_reap((ctx.account, ctx.region, name)))
    return _json(200, {"addons": names})


@on("eks", "UpdateAddon")
def update_addon(ctx, _next):
    p = ctx.params()
    addon = _addon(ctx, p.get("clusterName", ""), p.get("addonName", ""))
    if _status(addon) != "ACTIVE":
        raise AwsError("ResourceInUseException", f"Addon is in {addon['status']} state.", 409)
    params = []
    for key, kind in (("addonVersion", "AddonVersion"), ("serviceAccountRoleArn", "ServiceAccountRoleArn"),
                      ("configurationValues", "ConfigurationValues")):
        if key in p:
            addon[key] = p[key] or None
            params.append({"type": kind, "value": p[key]})
    now = time.time()
    addon.update(status="UPDATING", modifiedAt=now, _until=now + duration("eks_addon_update"))
    return _json(200, {"update": {"id": str(uuid.uuid4()), "status": "InProgress", "type": "AddonUpdate",
                                  "params": params, "createdAt": now, "errors": []}})


@on("eks", "DeleteAddon")
def delete_addon(ctx, _next):
    p = ctx.params()
    addon = _addon(ctx, p.get("clusterName", ""), p.get("addonName", ""))
    now = time.time()
    addon.update(status="DELETING", modifiedAt=now, _until=now + duration("eks_addon_delete"))
    return _json(200, {"addon": _view(addon)})


@on("eks", "DeleteCluster")
def delete_cluster_with_addons(ctx, call_next):
    resp = call_next()
    if resp.status < 300:
        with _lock:
            _addons.pop((ctx.account, ctx.region, ctx.params().get("name", "")), None)
    return resp


def _addon_by_arn(ctx, arn: str) -> dict | None:
    with _lock:
        for (account, region, _), addons in _addons.items():
            if (account, region) != (ctx.account, ctx.region):
                continue
            for addon in addons.values():
                if addon["addonArn"] == arn:
                    return addon
    return None


_TAG_OPERATIONS = {"POST": "TagResource", "DELETE": "UntagResource", "GET": "ListTagsForResource"}


@request_filter
def name_addon_tag_calls(ctx) -> None:
    """An add-on's ARN has slashes the SDK sends encoded and the server decodes, so the REST
    route `/tags/{resourceArn}` does not match it: name the operation here."""
    info = ctx.info
    method, _, path = info.operation.partition(" ")
    if info.service != "eks" or not path.startswith("/tags/") or ":addon/" not in path:
        return
    operation = _TAG_OPERATIONS.get(method)
    if operation:
        info.operation = operation
        info.path_params = {"resourceArn": unquote(path[len("/tags/"):])}
        info._params = None


@on("eks", "TagResource", "UntagResource", "ListTagsForResource")
def addon_tags(ctx, call_next):
    p = ctx.params()
    arn = unquote(p.get("resourceArn", ""))
    if ":addon/" not in arn:
        return call_next()
    addon = _addon_by_arn(ctx, arn)
    if addon is None:
        raise AwsError("NotFoundException", f"Resource {arn} not found.", 404)
    op = ctx.info.operation
    if op == "TagResource":
        addon["tags"].update(p.get("tags") or {})
    elif op == "UntagResource":
        keys = p.get("tagKeys") or []
        for key in [keys] if isinstance(keys, str) else keys:
            addon["tags"].pop(key, None)
    else:
        return _json(200, {"tags": addon["tags"]})
    return _json(200, {})
