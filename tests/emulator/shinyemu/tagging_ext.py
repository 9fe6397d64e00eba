"""The Resource Groups Tagging API's GetResources as AWS answers it, where moto's differs:

- ECR repositories are listed (`ecr:repository` is a supported resource type; moto leaves ECR
  out). They are added to the last page moto answers (the one without a PaginationToken),
  filtered by the request's TagFilters and ResourceTypeFilters the way moto filters its own.
- RDS subnet groups and (cluster) parameter groups are listed (`rds:subgrp`, `rds:pg`,
  `rds:cluster-pg`); moto lists only clusters, instances, snapshots and proxies.
- ElastiCache parameter groups (served by `elasticache_ext`) keep the tags they are created or
  tagged with, answer ListTagsForResource, and are listed (`elasticache:parametergroup`).
- A request with ResourcesPerPage gets that many resources per page: AWS takes either
  ResourcesPerPage or TagsPerPage, but moto also cuts every page at 100 tags (its TagsPerPage
  default), so resources with several tags each came back a handful per page."""

from __future__ import annotations

import json
import threading

from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

from .elasticache_ext import NS as ELASTICACHE_NS
from .elasticache_ext import _store as cache_parameter_groups
from .hooks import Response, on
from .xmlresp import Items, query_response

# Set while moto answers a request that gave ResourcesPerPage and no TagsPerPage.
_resources_only = threading.local()
_moto_get_resources = ResourceGroupsTaggingAPIBackend.get_resources


def _get_resources(self, *args, **kwargs):
    if getattr(_resources_only, "on", False):
        kwargs["tags_per_page"] = 10**9
    return _moto_get_resources(self, *args, **kwargs)


ResourceGroupsTaggingAPIBackend.get_resources = _get_resources


def _repositories(ctx) -> list[tuple[str, dict[str, str]]]:
    from moto.ecr.models import ecr_backends

    try:
        backend = ecr_backends[ctx.account][ctx.region]
    except KeyError:
        return []
    out = []
    for repo in list(backend.repositories.values()):
        pairs = backend.tagger.list_tags_for_resource(repo.arn).get("tags", [])
        out.append((repo.arn, {t["Key"]: t["Value"] for t in pairs}))
    return out


def _rds_groups(ctx) -> list[tuple[str, str, dict[str, str]]]:
    from moto.rds.models import rds_backends

    try:
        backend = rds_backends[ctx.account][ctx.region]
    except KeyError:
        return []
    out = []
    for kind, groups in (("rds:subgrp", backend.subnet_groups),
                         ("rds:pg", backend.db_parameter_groups),
                         ("rds:cluster-pg", backend.db_cluster_parameter_groups)):
        for group in list(groups.values()):
            arn = getattr(group, "arn", None)
            if arn:
                out.append((kind, arn, {t["Key"]: t["Value"] for t in group.get_tags()}))
    return out


# (account, region, parameter group ARN) -> tags
_cache_group_tags: dict[tuple[str, str, str], dict[str, str]] = {}
_cache_lock = threading.Lock()


def _cache_groups(ctx) -> list[tuple[str, str, dict[str, str]]]:
    from .elasticache_ext import _arn

    out = []
    for name in list(cache_parameter_groups(ctx)):
        arn = _arn(ctx, name)
        with _cache_lock:
            tags = dict(_cache_group_tags.get((ctx.account, ctx.region, arn), {}))
        out.append(("elasticache:parametergroup", arn, tags))
    return out


def _query_tags(p: dict) -> dict[str, str]:
    """`Tags.Tag.N.Key` / `Tags.Tag.N.Value` (or `Tags.member.N.…`) query parameters."""
    tags, keys = {}, {}
    for k, v in p.items():
        parts = k.split(".")
        if len(parts) == 4 and parts[0] == "Tags":
            keys.setdefault(parts[2], {})[parts[3]] = v
    for entry in keys.values():
        if "Key" in entry:
            tags[entry["Key"]] = entry.get("Value", "")
    return tags


def _is_cache_group(arn: str) -> bool:
    return ":elasticache:" in arn and ":parametergroup:" in arn


def _outermost(service: str, *operations: str):
    """Like `on`, but wraps the handlers registered before (elasticache_ext answers these
    operations itself, without calling on)."""

    def deco(fn):
        from . import hooks

        for op in operations:
            hooks._handlers.setdefault((service, op), []).insert(0, fn)
        return fn

    return deco


@_outermost("elasticache", "CreateCacheParameterGroup")
def create_cache_parameter_group(ctx, _next):
    resp = _next()
    if resp.status < 300:
        from .elasticache_ext import _arn

        arn = _arn(ctx, ctx.params().get("CacheParameterGroupName", ""))
        with _cache_lock:
            _cache_group_tags[(ctx.account, ctx.region, arn)] = _query_tags(ctx.params())
    return resp


@_outermost("elasticache", "DeleteCacheParameterGroup")
def delete_cache_parameter_group(ctx, _next):
    resp = _next()
    if resp.status < 300:
        from .elasticache_ext import _arn

        arn = _arn(ctx, ctx.params().get("CacheParameterGroupName", ""))
        with _cache_lock:
            _cache_group_tags.pop((ctx.account, ctx.region, arn), None)
    return resp


@_outermost("elasticache", "ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource")
def cache_group_tags(ctx, _next):
    p = ctx.params()
    arn = p.get("ResourceName", "")
    if not _is_cache_group(arn):
        return _next()
    key = (ctx.account, ctx.region, arn)
    with _cache_lock:
        tags = _cache_group_tags.setdefault(key, {})
        if ctx.info.operation == "AddTagsToResource":
            tags.update(_query_tags(p))
        elif ctx.info.operation == "RemoveTagsFromResource":
            for k, v in p.items():
                if k.startswith("TagKeys."):
                    tags.pop(v, None)
        listed = [{"Key": k, "Value": v} for k, v in tags.items()]
    return query_response(ctx.info.operation, ELASTICACHE_NS, {"TagList": Items("Tag", listed)})


def _type_matches(filters: list[str], resource_type: str) -> bool:
    service = resource_type.split(":", 1)[0]
    return not filters or any(f in (service, resource_type) for f in filters)


def _tags_match(tags: dict[str, str], filters: list[dict]) -> bool:
    for f in filters:
        key, values = f.get("Key"), f.get("Values") or []
        if key not in tags or (values and tags[key] not in values):
            return False
    return True


@on("resourcegroupstaggingapi", "GetResources")
def get_resources(ctx, _next):
    p = ctx.params()
    _resources_only.on = "ResourcesPerPage" in p and "TagsPerPage" not in p
    try:
        resp = _next()
    finally:
        _resources_only.on = False
    if resp.status >= 300:
        return resp
    try:
        body = json.loads(resp.body or b"{}")
    except ValueError:
        return resp
    if body.get("PaginationToken"):
        return resp
    if p.get("ResourceARNList"):
        return resp
    type_filters = p.get("ResourceTypeFilters") or []
    filters = p.get("TagFilters") or []
    listed = body.setdefault("ResourceTagMappingList", [])
    known = {m.get("ResourceARN") for m in listed}
    extra = [("ecr:repository", arn, tags) for arn, tags in _repositories(ctx)]
    extra += _rds_groups(ctx) + _cache_groups(ctx)
    for resource_type, arn, tags in extra:
        if (tags and arn not in known and _type_matches(type_filters, resource_type)
                and _tags_match(tags, filters)):
            listed.append({"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})
    return Response(resp.status, resp.headers, json.dumps(body).encode())
