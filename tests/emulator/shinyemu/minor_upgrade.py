"""The `minor_upgrade` fault: AWS applying an auto minor version upgrade behind the caller's back.

With AutoMinorVersionUpgrade on (the default), RDS and ElastiCache move a database or cache to a
newer minor version of the same major in a maintenance window (RDS user guide,
"Automatically upgrading the minor engine version";
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.Upgrading.html#USER_UpgradeDBInstance.Upgrading.AutoMinorVersionUpgrades;
ElastiCache "Version management"). A tool must then read the running version as drift to accept,
not as a change to revert. A rule

    {"kind": "minor_upgrade", "service": "rds" | "elasticache", "resource": "<id>", "to": "8.4.7"}

fires on each matching request (the usual matchers, `count`, `rate`) before the request is served:
the RDS DB instance or cluster, or the ElastiCache replication group, named `resource` (every one
in the request's account and region when absent) now runs `to`, or else the next minor version the
data file (versions.json) offers after its current one (an Aurora cluster's instances report it).
"""

from __future__ import annotations

from . import versions


def _key(version: str) -> list:
    return [int(x) if x.isdigit() else x for x in version.replace("mysql_aurora.", "").split(".")]


def next_rds_minor(engine: str, current: str) -> str | None:
    for major, v, m in versions.rds_versions(engine):
        if v == current:
            later = sorted((x for x in m["versions"] if _key(x) > _key(current)), key=_key)
            return later[0] if later else None
    return None


def next_cache_minor(engine: str, current: str) -> str | None:
    spec = versions.DATA["elasticache"]["engines"].get(engine)
    if spec is None or not current:
        return None
    same_major = [v["version"] for v in spec["versions"] if v["version"].split(".")[0] == current.split(".")[0]]
    later = sorted((v for v in same_major if _key(v) > _key(current)), key=_key)
    return later[0] if later else None


def apply(rule: dict, ctx) -> None:
    service = rule.get("service", ctx.info.service)
    target = rule.get("resource")
    if service == "rds":
        from moto.rds.models import rds_backends

        be = rds_backends[ctx.account][ctx.region]
        for cid, cluster in list(be.clusters.items()):
            if target in (None, cid):
                new = rule.get("to") or next_rds_minor(cluster.engine, cluster.engine_version)
                if new:
                    cluster.engine_version = new  # moto's Aurora instances read their cluster's
        for did, db in list(be.databases.items()):
            if target in (None, did) and not getattr(db, "db_cluster_identifier", None):
                new = rule.get("to") or next_rds_minor(db.engine, db.engine_version)
                if new:
                    db.engine_version = new
    elif service == "elasticache":
        from moto.elasticache.models import elasticache_backends

        be = elasticache_backends[ctx.account][ctx.region]
        for gid, group in list(be.replication_groups.items()):
            if target in (None, gid):
                current = versions.cache_resolve((group.engine or "redis").lower(), group.engine_version)
                new = rule.get("to") or next_cache_minor((group.engine or "redis").lower(), current)
                if new:
                    group.engine_version = new
