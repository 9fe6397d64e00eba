"""ElastiCache operations moto lacks: cache parameter groups and cache subnet-group delete."""

from __future__ import annotations

import re
import threading

from .errors import AwsError
from .hooks import on
from .partition import partition_of
from .xmlresp import Items, query_response

NS = "http://elasticache.amazonaws.com/doc/2015-02-02/"
_lock = threading.Lock()
_groups: dict[tuple[str, str], dict[str, dict]] = {}
_DEFAULT = re.compile(r"^default\.(redis|valkey|memcached)[\d.]+(\.cluster\.on)?$")


def _store(ctx) -> dict[str, dict]:
    return _groups.setdefault((ctx.account, ctx.region), {})


def _arn(ctx, name: str) -> str:
    return f"arn:{partition_of(ctx.region)}:elasticache:{ctx.region}:{ctx.account}:parametergroup:{name}"


def _lookup(ctx, name: str) -> dict:
    group = _store(ctx).get(name)
    if group is None and _DEFAULT.match(name or ""):
        family = name[len("default."):].replace(".cluster.on", "")
        group = {"name": name, "family": family, "description": f"Default parameter group for {family}",
                 "parameters": {"cluster-enabled": "yes"} if name.endswith(".cluster.on") else {}}
    if group is None:
        raise AwsError("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.", 404)
    return group


def _describe(ctx, group: dict) -> dict:
    return {"CacheParameterGroupName": group["name"], "CacheParameterGroupFamily": group["family"],
            "Description": group["description"], "IsGlobal": False, "ARN": _arn(ctx, group["name"])}


def _backend(ctx):
    from moto.elasticache.models import elasticache_backends

    return elasticache_backends[ctx.account][ctx.region]


def _users_of(ctx, attr: str, name: str) -> list[str]:
    be = _backend(ctx)
    users = [rg_id for rg_id, rg in be.replication_groups.items() if getattr(rg, attr, None) == name]
    users += [cid for cid, c in be.cache_clusters.items() if getattr(c, attr, None) == name]
    return users


@on("elasticache", "CreateCacheParameterGroup")
def create_cache_parameter_group(ctx, _next):
    p = ctx.params()
    name, family = p.get("CacheParameterGroupName", ""), p.get("CacheParameterGroupFamily", "")
    if not name or not family:
        raise AwsError("InvalidParameterValue", "CacheParameterGroupName and CacheParameterGroupFamily are required")
    with _lock:
        if name in _store(ctx) or _DEFAULT.match(name):
            raise AwsError("CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.", 400)
        group = {"name": name, "family": family, "description": p.get("Description", ""), "parameters": {}}
        _store(ctx)[name] = group
    return query_response("CreateCacheParameterGroup", NS, {"CacheParameterGroup": _describe(ctx, group)})


@on("elasticache", "DescribeCacheParameterGroups")
def describe_cache_parameter_groups(ctx, _next):
    name = ctx.params().get("CacheParameterGroupName")
    groups = [_lookup(ctx, name)] if name else list(_store(ctx).values())
    return query_response("DescribeCacheParameterGroups", NS, {
        "CacheParameterGroups": Items("CacheParameterGroup", [_describe(ctx, g) for g in groups])})


@on("elasticache", "DescribeCacheParameters")
def describe_cache_parameters(ctx, _next):
    group = _lookup(ctx, ctx.params().get("CacheParameterGroupName"))
    params = [{"ParameterName": k, "ParameterValue": v, "Source": "user", "DataType": "string",
               "IsModifiable": True, "ChangeType": "immediate"} for k, v in sorted(group["parameters"].items())]
    return query_response("DescribeCacheParameters", NS, {"Parameters": Items("Parameter", params)})


@on("elasticache", "ModifyCacheParameterGroup")
def modify_cache_parameter_group(ctx, _next):
    p = ctx.params()
    name = p.get("CacheParameterGroupName")
    with _lock:
        if name not in _store(ctx):
            _lookup(ctx, name)  # not found, or a default group:
            raise AwsError("InvalidCacheParameterGroupState", f"Default parameter group {name} cannot be modified.")
        changes = {}
        for key, value in p.items():
            m = re.match(r"^ParameterNameValues\.ParameterNameValue\.(\d+)\.ParameterName$", key)
            if m:
                changes[value] = p.get(f"ParameterNameValues.ParameterNameValue.{m.group(1)}.ParameterValue", "")
        if not changes:
            raise AwsError("InvalidParameterValue", "ParameterNameValues must not be empty")
        _store(ctx)[name]["parameters"].update(changes)
    return query_response("ModifyCacheParameterGroup", NS, {"CacheParameterGroupName": name})


@on("elasticache", "DeleteCacheParameterGroup")
def delete_cache_parameter_group(ctx, _next):
    name = ctx.params().get("CacheParameterGroupName")
    with _lock:
        if name not in _store(ctx):
            _lookup(ctx, name)
            raise AwsError("InvalidCacheParameterGroupState", f"Default parameter group {name} cannot be deleted.")
        users = _users_of(ctx, "cache_parameter_group_name", name)
        if users:
            raise AwsError("InvalidCacheParameterGroupState",
                           f"Parameter group {name} is in use by {', '.join(users)} and cannot be deleted.")
        del _store(ctx)[name]
    return query_response("DeleteCacheParameterGroup", NS, None)


@on("elasticache", "DeleteCacheSubnetGroup")
def delete_cache_subnet_group(ctx, _next):
    name = ctx.params().get("CacheSubnetGroupName")
    be = _backend(ctx)
    if name not in be.cache_subnet_groups:
        raise AwsError("CacheSubnetGroupNotFoundFault", f"CacheSubnetGroup {name} not found.", 404)
    users = _users_of(ctx, "cache_subnet_group_name", name)
    if users:
        raise AwsError("CacheSubnetGroupInUse", f"Cache subnet group {name} is currently in use by {users[0]}.")
    del be.cache_subnet_groups[name]
    return query_response("DeleteCacheSubnetGroup", NS, None)


@on("elasticache", "CreateReplicationGroup", "CreateCacheCluster")
def parameter_group_must_exist(ctx, call_next):
    name = ctx.params().get("CacheParameterGroupName")
    if name:
        _lookup(ctx, name)
    return call_next()
