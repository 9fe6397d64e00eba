"""The Resource Groups Tagging API's GetResources as AWS answers it, where moto's differs:

- ECR repositories are listed (`ecr:repository` is a supported resource type; moto leaves ECR
  out). They are added to the last page moto answers (the one without a PaginationToken),
  filtered by the request's TagFilters and ResourceTypeFilters the way moto filters its own.
- A request with ResourcesPerPage gets that many resources per page: AWS takes either
  ResourcesPerPage or TagsPerPage, but moto also cuts every page at 100 tags (its TagsPerPage
  default), so resources with several tags each came back a handful per page."""

from __future__ import annotations

import json
import threading

from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

from .hooks import Response, on

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


def _type_matches(filters: list[str]) -> bool:
    return not filters or any(f in ("ecr", "ecr:repository") for f in filters)


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
    if p.get("ResourceARNList") or not _type_matches(p.get("ResourceTypeFilters") or []):
        return resp
    filters = p.get("TagFilters") or []
    listed = body.setdefault("ResourceTagMappingList", [])
    known = {m.get("ResourceARN") for m in listed}
    for arn, tags in _repositories(ctx):
        if tags and arn not in known and _tags_match(tags, filters):
            listed.append({"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})
    return Response(resp.status, resp.headers, json.dumps(body).encode())
