"""Operations and behaviours moto lacks: EFS UpdateFileSystem, EKS UpdateClusterVersion with
DescribeUpdate/ListUpdates and same-name ALB creation returning the existing load balancer.
(Client-token idempotency lives in idempotency.py.)"""

from __future__ import annotations

import json
import threading
import time
import uuid
from urllib.parse import urlencode

from .errors import AwsError
from .hooks import Response, on, request_filter
from .lifecycle import duration, set_phase

_lock = threading.Lock()


def _json(status: int, data) -> Response:
    return Response(status, [("Content-Type", "application/json")], json.dumps(data).encode())


# --- EFS UpdateFileSystem ---------------------------------------------------------------
@on("efs", "UpdateFileSystem")
def efs_update_file_system(ctx, _next):
    from moto.efs.models import efs_backends

    be = efs_backends[ctx.account][ctx.region]
    p = ctx.params()
    fs = be.file_systems_by_id.get(p.get("FileSystemId"))
    if fs is None:
        raise AwsError("FileSystemNotFound", f"File system '{p.get('FileSystemId')}' does not exist.", 404)
    if fs.life_cycle_state != "available":
        raise AwsError("IncorrectFileSystemLifeCycleState",
                       f"File system is in state {fs.life_cycle_state}.", 409)
    mode = p.get("ThroughputMode")
    if mode:
        if mode not in ("bursting", "provisioned", "elastic"):
            raise AwsError("BadRequest", f"Invalid ThroughputMode {mode}", 400)
        fs.throughput_mode = mode
    if "ProvisionedThroughputInMibps" in p:
        fs.provisioned_throughput_in_mibps = p["ProvisionedThroughputInMibps"]
    if fs.throughput_mode == "provisioned" and not getattr(fs, "provisioned_throughput_in_mibps", None):
        raise AwsError("BadRequest", "ProvisionedThroughputInMibps is required in provisioned mode", 400)
    return _json(202, fs.info_json())


# --- EKS UpdateClusterVersion / DescribeUpdate / ListUpdates --------------------------------
_updates: dict[tuple[str, str, str], list[dict]] = {}  # (account, region, cluster) -> updates


def _eks_cluster(ctx, name):
    from moto.eks.models import eks_backends

    cluster = eks_backends[ctx.account][ctx.region].clusters.get(name)
    if cluster is None:
        raise AwsError("ResourceNotFoundException", f"No cluster found for name: {name}.", 404)
    return cluster


# A cluster's node groups and Fargate profiles listed for a cluster that does not exist: AWS
# answers ResourceNotFoundException (botocore eks model: ListNodegroups and ListFargateProfiles
# list it among their errors, as ListAddons does); moto fails on a missing key (HTTP 500).
@on("eks", "ListNodegroups", "ListFargateProfiles")
def eks_list_of_missing_cluster(ctx, _next):
    _eks_cluster(ctx, ctx.params().get("clusterName", ""))
    return _next()


def _update_view(u: dict) -> dict:
    done = time.time() >= u["_done_at"]
    return {"id": u["id"], "status": "Successful" if done else "InProgress", "type": u["type"],
            "params": u["params"], "createdAt": u["createdAt"], "errors": []}


@request_filter
def eks_finish_updates(ctx) -> None:
    """Applies finished version updates (the version changes when the update completes)."""
    if ctx.info.service != "eks":
        return
    now = time.time()
    with _lock:
        for (account, region, name), updates in _updates.items():
            if account != ctx.account or region != ctx.region:
                continue
            for u in updates:
                if not u.get("_applied") and now >= u["_done_at"]:
                    u["_applied"] = True
                    from moto.eks.models import eks_backends

                    cluster = eks_backends[account][region].clusters.get(name)
                    if cluster is not None:
                        cluster.version = u["params"][0]["value"]


@on("eks", "UpdateClusterVersion")
def eks_update_cluster_version(ctx, _next):
    p = ctx.params()
    cluster = _eks_cluster(ctx, p.get("name"))
    if cluster.status != "ACTIVE":
        raise AwsError("ResourceInUseException", f"Cluster is in {cluster.status} state.", 409)
    target = str(p.get("version", ""))
    try:
        cur_major, cur_minor = (int(x) for x in str(cluster.version).split(".")[:2])
        new_major, new_minor = (int(x) for x in target.split(".")[:2])
    except ValueError:
        raise AwsError("InvalidParameterException", f"Invalid Kubernetes version {target}", 400)
    if (new_major, new_minor) != (cur_major, cur_minor + 1):
        raise AwsError("InvalidParameterException",
                       f"Unsupported Kubernetes minor version update from {cluster.version} to {target}", 400)
    d = duration("eks_cluster_update")
    now = time.time()
    update = {"id": str(uuid.uuid4()), "type": "VersionUpdate", "createdAt": now, "_done_at": now + d,
              "params": [{"type": "Version", "value": target}, {"type": "PlatformVersion", "value": "eks.1"}]}
    with _lock:
        _updates.setdefault((ctx.account, ctx.region, cluster.name), []).append(update)
    if d > 0:
        set_phase(cluster, [("UPDATING", d)])
    else:
        cluster.version = target
        update["_applied"] = True
    return _json(200, {"update": _update_view(update)})


@on("eks", "DescribeUpdate")
def eks_describe_update(ctx, _next):
    p = ctx.params()
    cluster = _eks_cluster(ctx, p.get("name"))
    for u in _updates.get((ctx.account, ctx.region, cluster.name), []):
        if u["id"] == p.get("updateId"):
            return _json(200, {"update": _update_view(u)})
    raise AwsError("ResourceNotFoundException", f"No update found for ID: {p.get('updateId')}.", 404)


@on("eks", "ListUpdates")
def eks_list_updates(ctx, _next):
    cluster = _eks_cluster(ctx, ctx.params().get("name"))
    ids = [u["id"] for u in _updates.get((ctx.account, ctx.region, cluster.name), [])]
    return _json(200, {"updateIds": ids})


# --- ALB: same name, same settings -> the existing load balancer --------------------------
def _members(params: dict, prefix: str) -> set[str]:
    return {v for k, v in params.items() if k.startswith(prefix) and k.split(".")[-1].isdigit()}


@on("elbv2", "CreateLoadBalancer")
def alb_same_name(ctx, call_next):
    from moto.elbv2.models import elbv2_backends

    p = ctx.params()
    name = p.get("Name")
    be = elbv2_backends[ctx.account][ctx.region]
    existing = next((lb for lb in be.load_balancers.values() if lb.name == name), None)
    if existing is None:
        return call_next()
    subnets = _members(p, "Subnets.member.") | {
        v for k, v in p.items() if k.startswith("SubnetMappings.member.") and k.endswith(".SubnetId")}
    same = (
        (p.get("Scheme") or "internet-facing") == (existing.scheme or "internet-facing")
        and (p.get("Type") or "application") == (existing.type or "application")
        and (p.get("IpAddressType") or "ipv4") == (existing.ip_address_type or "ipv4")
        and subnets == {s.id for s in existing.subnets}
        and (not _members(p, "SecurityGroups.member.")
             or _members(p, "SecurityGroups.member.") == set(existing.security_groups or []))
    )
    if not same:
        raise AwsError("DuplicateLoadBalancerName",
                       f"A load balancer with the name '{name}' already exists with different settings.", 400)
    body = urlencode({"Action": "DescribeLoadBalancers", "Version": "2015-12-01", "Names.member.1": name}).encode()
    resp = ctx.call_moto(body)
    resp.body = (resp.body.replace(b"DescribeLoadBalancersResponse", b"CreateLoadBalancerResponse")
                 .replace(b"DescribeLoadBalancersResult", b"CreateLoadBalancerResult"))
    return resp
