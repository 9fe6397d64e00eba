"""Engine and platform versions as AWS offers them, from one data file (`data/versions.json`,
with its sources and the date it was taken; statuses are judged against that date).

- EKS `DescribeClusterVersions` (filters `clusterVersions`, `versionStatus`, `status`,
  `defaultOnly`, `includeAll` as the botocore model has them): each version with `versionStatus`
  STANDARD_SUPPORT / EXTENDED_SUPPORT (UNSUPPORTED only with `includeAll`), the deprecated
  `status` twin, release and end-of-support dates, `defaultVersion`. `CreateCluster` and
  `UpdateClusterVersion` with a version EKS no longer (or not yet) offers: 400
  `InvalidParameterException` "unsupported Kubernetes version 1.31" (AWS's text, e.g.
  aws/containers-roadmap and eksctl issues quoting it); without a version the default is used.
- RDS `DescribeDBEngineVersions` (Engine, EngineVersion as a version or a major prefix,
  DBParameterGroupFamily, DefaultOnly) for mysql, postgres, aurora-mysql, aurora-postgresql.
  `CreateDBInstance`/`CreateDBCluster` with a version not offered: 400
  `InvalidParameterCombination` "Cannot find version 8.0.11 for mysql"; a major alone ("8.4")
  runs that major's default minor, as RDS does.
- ElastiCache `DescribeCacheEngineVersions` (Engine, EngineVersion, CacheParameterGroupFamily,
  DefaultOnly) for redis and valkey, with full versions (7.1.0). `CreateReplicationGroup` /
  `CreateCacheCluster` accept a full version, a major.minor (7.1) or `6.x` and run the full
  version; anything else: 400 `InvalidParameterCombination` "Cannot find version 7.3 for redis".
- Synthetics `DescribeRuntimeVersions`: every runtime, with `DeprecationDate` where deprecated.
  `CreateCanary`/`UpdateCanary` with an unknown or deprecated runtime: 400 `ValidationException`
  ("You can't create canaries using deprecated runtime versions": runtime support policy page).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from .errors import AwsError
from .hooks import Response, on
from .xmlresp import Items, query_response

DATA = json.loads((Path(__file__).resolve().parent / "data" / "versions.json").read_text())
TAKEN = DATA["taken"]


def _epoch(day: str | None) -> float | None:
    if not day:
        return None
    return datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()


def _json(data) -> Response:
    return Response(200, [("Content-Type", "application/json")], json.dumps(data).encode())


def _truthy(value) -> bool:
    return str(value).lower() == "true"


def _replace_json_body(ctx, updates: dict) -> None:
    body = json.loads(ctx.info.body or b"{}")
    body.update(updates)
    ctx.info.body = json.dumps(body).encode()
    ctx.info._params = None


def _replace_query_param(ctx, key: str, value: str) -> None:
    form = {k: v[0] for k, v in parse_qs(ctx.info.body.decode(), keep_blank_values=True).items()}
    form[key] = value
    ctx.info.body = urlencode(form).encode()
    ctx.info._params = None


# --- EKS ----------------------------------------------------------------------------------
def eks_status(v: dict) -> str:
    if TAKEN < v["endOfStandardSupport"]:
        return "STANDARD_SUPPORT"
    if TAKEN < v["endOfExtendedSupport"]:
        return "EXTENDED_SUPPORT"
    return "UNSUPPORTED"


def eks_offered() -> list[str]:
    return [v["version"] for v in DATA["eks"]["versions"] if eks_status(v) != "UNSUPPORTED"]


def _eks_view(v: dict) -> dict:
    status = eks_status(v)
    return {
        "clusterVersion": v["version"],
        "clusterType": "eks",
        "defaultVersion": v["version"] == DATA["eks"]["default"],
        "releaseDate": _epoch(v["released"]),
        "endOfStandardSupportDate": _epoch(v["endOfStandardSupport"]),
        "endOfExtendedSupportDate": _epoch(v["endOfExtendedSupport"]),
        "versionStatus": status,
        "status": status.lower().replace("_", "-"),
    }


@on("eks", "DescribeClusterVersions")
def describe_cluster_versions(ctx, _next):
    p = ctx.params()
    wanted = p.get("clusterVersions") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    views = [_eks_view(v) for v in DATA["eks"]["versions"]]
    if p.get("versionStatus"):
        views = [v for v in views if v["versionStatus"] == p["versionStatus"]]
    elif p.get("status"):
        views = [v for v in views if v["status"] == p["status"]]
    elif not _truthy(p.get("includeAll")) and not wanted:
        views = [v for v in views if v["versionStatus"] != "UNSUPPORTED"]
    if wanted:
        views = [v for v in views if v["clusterVersion"] in wanted]
    if _truthy(p.get("defaultOnly")):
        views = [v for v in views if v["defaultVersion"]]
    views.sort(key=lambda v: [int(x) for x in v["clusterVersion"].split(".")], reverse=True)
    return _json({"clusterVersions": views})


def _unsupported_kubernetes(version: str, cluster: str) -> AwsError:
    return AwsError("InvalidParameterException", f"unsupported Kubernetes version {version}", 400,
                    extra={"clusterName": cluster})


@on("eks", "CreateCluster")
def eks_create_version(ctx, call_next):
    p = ctx.params()
    version = p.get("version")
    if not version:
        _replace_json_body(ctx, {"version": DATA["eks"]["default"]})
    elif version not in eks_offered():
        raise _unsupported_kubernetes(version, p.get("name", ""))
    return call_next()


@on("eks", "UpdateClusterVersion")
def eks_update_version(ctx, call_next):
    p = ctx.params()
    version = p.get("version")
    if version and version not in eks_offered():
        raise _unsupported_kubernetes(version, p.get("name", ""))
    return call_next()


# --- RDS ----------------------------------------------------------------------------------
RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/"


def rds_versions(engine: str) -> list[tuple[str, str, dict]]:
    """[(major, version, major entry)] of an engine the data file knows."""
    spec = DATA["rds"]["engines"].get(engine)
    if spec is None:
        return []
    return [(major, v, m) for major, m in spec["majors"].items() for v in m["versions"]]


def rds_resolve(engine: str, version: str | None) -> str | None:
    """The full version RDS runs for a requested one, or None when RDS does not offer it."""
    spec = DATA["rds"]["engines"][engine]
    if not version:
        return spec["default"]
    if version in spec["majors"]:
        return spec["majors"][version]["default"]
    if any(v == version for _, v, _ in rds_versions(engine)):
        return version
    return None


@on("rds", "DescribeDBEngineVersions")
def describe_db_engine_versions(ctx, _next):
    p = ctx.params()
    engine, version = p.get("Engine"), p.get("EngineVersion")
    family, default_only = p.get("DBParameterGroupFamily"), _truthy(p.get("DefaultOnly"))
    out = []
    for name, spec in DATA["rds"]["engines"].items():
        if engine and engine != name:
            continue
        for major, v, m in rds_versions(name):
            if version and not (v == version or v.startswith(version + ".") or major == version):
                continue
            if family and m["family"] != family:
                continue
            if default_only and v != (m["default"] if version else spec["default"]):
                continue
            out.append({"Engine": name, "EngineVersion": v, "MajorEngineVersion": major,
                        "DBParameterGroupFamily": m["family"], "DBEngineDescription": spec["description"],
                        "DBEngineVersionDescription": f"{spec['description']} {v}", "Status": "available",
                        "SupportsLogExportsToCloudwatchLogs": True, "SupportsReadReplica": True,
                        "SupportedEngineModes": Items("member", ["provisioned"]),
                        "ValidUpgradeTarget": Items("UpgradeTarget", [])})
    return query_response("DescribeDBEngineVersions", RDS_NS, {"DBEngineVersions": Items("DBEngineVersion", out)})


@on("rds", "CreateDBInstance", "CreateDBCluster")
def rds_create_version(ctx, call_next):
    p = ctx.params()
    engine = p.get("Engine", "")
    # An Aurora instance runs its cluster's version.
    if engine not in DATA["rds"]["engines"] or (ctx.info.operation == "CreateDBInstance"
                                                and p.get("DBClusterIdentifier")):
        return call_next()
    requested = p.get("EngineVersion")
    full = rds_resolve(engine, requested)
    if full is None:
        raise AwsError("InvalidParameterCombination", f"Cannot find version {requested} for {engine}", 400)
    if full != requested:
        _replace_query_param(ctx, "EngineVersion", full)
    return call_next()


# --- ElastiCache --------------------------------------------------------------------------
EC_NS = "http://elasticache.amazonaws.com/doc/2015-02-02/"


def cache_resolve(engine: str, version: str | None) -> str | None:
    """The full version ElastiCache runs: exact, major.minor (7.1 -> 7.1.0) or 6.x (newest 6)."""
    spec = DATA["elasticache"]["engines"].get(engine)
    if spec is None:
        return version
    known = [v["version"] for v in spec["versions"]]
    if not version:
        return spec["default"]
    if version in known:
        return version
    prefix = version[:-1] if version.endswith(".x") else version + "."
    matches = [v for v in known if v.startswith(prefix)]
    return max(matches, key=lambda v: [int(x) for x in v.split(".")]) if matches else None


@on("elasticache", "DescribeCacheEngineVersions")
def describe_cache_engine_versions(ctx, _next):
    p = ctx.params()
    engine, version, family = p.get("Engine"), p.get("EngineVersion"), p.get("CacheParameterGroupFamily")
    out = []
    for name, spec in DATA["elasticache"]["engines"].items():
        if engine and engine != name:
            continue
        for v in spec["versions"]:
            if version and not (v["version"] == version or v["version"].startswith(version + ".")):
                continue
            if family and v["family"] != family:
                continue
            if _truthy(p.get("DefaultOnly")) and v["version"] != spec["default"]:
                continue
            out.append({"Engine": name, "EngineVersion": v["version"], "CacheParameterGroupFamily": v["family"],
                        "CacheEngineDescription": spec["description"],
                        "CacheEngineVersionDescription": f"{spec['description']} {v['version']}"})
    return query_response("DescribeCacheEngineVersions", EC_NS,
                          {"CacheEngineVersions": Items("CacheEngineVersion", out)})


@on("elasticache", "CreateReplicationGroup", "CreateCacheCluster")
def cache_create_version(ctx, call_next):
    p = ctx.params()
    engine = (p.get("Engine") or "redis").lower()
    if engine not in DATA["elasticache"]["engines"]:
        return call_next()
    requested = p.get("EngineVersion")
    full = cache_resolve(engine, requested)
    if full is None:
        raise AwsError("InvalidParameterCombination", f"Cannot find version {requested} for {engine}", 400)
    if full != requested:
        _replace_query_param(ctx, "EngineVersion", full)
    return call_next()


# --- Synthetics ---------------------------------------------------------------------------
def runtime_problem(name: str) -> str | None:
    rt = next((r for r in DATA["synthetics"]["runtimes"] if r["name"] == name), None)
    if rt is None:
        return f"Invalid runtime version: {name}"
    if rt.get("deprecated") and rt["deprecated"] <= TAKEN:
        return (f"Runtime version {name} was deprecated on {rt['deprecated']}; "
                "you can't create or update canaries with a deprecated runtime version.")
    return None


@on("synthetics", "DescribeRuntimeVersions")
def describe_runtime_versions(ctx, _next):
    out = []
    for r in DATA["synthetics"]["runtimes"]:
        view = {"VersionName": r["name"], "Description": r["description"]}
        if r.get("deprecated"):
            view["DeprecationDate"] = _epoch(r["deprecated"])
        out.append(view)
    return _json({"RuntimeVersions": out})


@on("synthetics", "CreateCanary", "UpdateCanary")
def canary_runtime(ctx, call_next):
    name = ctx.params().get("RuntimeVersion")
    if name:
        problem = runtime_problem(name)
        if problem:
            raise AwsError("ValidationException", problem, 400)
    return call_next()
