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
  `ModifyDBInstance`/`ModifyDBCluster` with an `EngineVersion` (a version or a major prefix, as the
  Terraform AWS provider sends it): one not offered, or older than the running one, is 400
  `InvalidParameterCombination` "Cannot find upgrade target from 16.11 with requested version
  16.6." and another major without `AllowMajorVersionUpgrade` is 400 `InvalidParameterCombination`
  "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version."
  (both AWS's answers as the AWS CLI prints them in the Aurora upgrade walk-throughs and
  Terraform users' reports); an Aurora cluster's instances run its version and are not checked.
- ElastiCache `DescribeCacheEngineVersions` (Engine, EngineVersion, CacheParameterGroupFamily,
  DefaultOnly) for redis and valkey, with full versions (7.1.0). `CreateReplicationGroup` /
  `CreateCacheCluster` take a major.minor from 6 on (7.1, or `6.x`) and a full version before 6
  (5.0.6), and run the full version. A full version from 6 on: 400 `InvalidParameterValue`
  "Specific version selection is not allowed for '6.2.6', please use '6.2'" (AWS's answer quoted
  in crossplane-contrib/provider-aws#1617; the Terraform AWS provider refuses the same shape
  before calling, PR #32937). A version not offered: 400 `InvalidParameterCombination` "Cannot
  find version 7.3 for redis" (AWS's text for valkey quoted in cloud-gov's broker docs, "Cannot
  find version 7.1 for valkey").
- Synthetics `DescribeRuntimeVersions`: every runtime, with `DeprecationDate` where deprecated.
  `CreateCanary`/`UpdateCanary` with a deprecated runtime: 400 `ValidationException` "Deprecated
  runtime version specified." (AWS's message, quoted by CloudFormation in
  aws-samples/arc-zonal-shift-demo#3 and data-dot-all/dataall#1446); an unknown one: 400
  `ValidationException` "Invalid runtime version specified." (this wording is ours: no quote of
  AWS's answer was found).
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


def _version_key(version: str) -> list:
    return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in version.split(".")]


def rds_major_of(engine: str, version: str) -> str | None:
    for major, v, _ in rds_versions(engine):
        if v == version:
            return major
    majors = sorted(DATA["rds"]["engines"][engine]["majors"], key=len, reverse=True)
    return next((m for m in majors if version.startswith(m + ".")), None)


def _rds_running(ctx):
    """(engine, running version) of the instance or cluster a Modify call names, or None."""
    from moto.rds.models import rds_backends

    be = rds_backends[ctx.account][ctx.region]
    p = ctx.params()
    if ctx.info.operation == "ModifyDBCluster":
        target = be.clusters.get(p.get("DBClusterIdentifier", ""))
    else:
        target = be.databases.get(p.get("DBInstanceIdentifier", ""))
        if target is not None and getattr(target, "db_cluster_identifier", None):
            return None
    if target is None or target.engine not in DATA["rds"]["engines"]:
        return None
    return target.engine, str(target.engine_version)


@on("rds", "ModifyDBInstance", "ModifyDBCluster")
def rds_modify_version(ctx, call_next):
    p = ctx.params()
    requested = p.get("EngineVersion")
    running = _rds_running(ctx) if requested else None
    if running is None:
        return call_next()
    engine, current = running
    full = rds_resolve(engine, requested)
    if full is None or _version_key(full) < _version_key(current):
        raise AwsError("InvalidParameterCombination",
                       f"Cannot find upgrade target from {current} with requested version {requested}.", 400)
    if rds_major_of(engine, full) != rds_major_of(engine, current) and not _truthy(p.get("AllowMajorVersionUpgrade")):
        raise AwsError("InvalidParameterCombination",
                       "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.", 400)
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


def _specific_from_six(version: str | None) -> str | None:
    """The major.minor to ask for instead, when a full version of 6 or later was asked for."""
    parts = (version or "").split(".")
    if len(parts) == 3 and parts[0].isdigit() and int(parts[0]) >= 6:
        return f"{parts[0]}.{parts[1]}"
    return None


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
    specific = _specific_from_six(requested)
    if specific:
        raise AwsError("InvalidParameterValue",
                       f"Specific version selection is not allowed for '{requested}', please use '{specific}'", 400)
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
        return "Invalid runtime version specified."
    if rt.get("deprecated") and rt["deprecated"] <= TAKEN:
        return "Deprecated runtime version specified."
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
