"""ElastiCache member clusters: `DescribeCacheClusters` lists every replication group's member
clusters, as AWS does, next to the standalone cache clusters (moto lists only the latter).

A replication group's members are named `<group>-<node group>-<nnn>` when cluster mode is on
(`r-0001-001`, `r-0001-002`, ...) and `<group>-<nnn>` when it is off (`r-001`), the names moto
already puts in `MemberClusters`. Each member has one node, the group's node type, engine,
parameter group, subnet group, security groups and status, and the *full* engine version that is
running (`7.1` -> `7.1.0`: see versions.py), which is what AWS answers and what drifts after an
auto minor version upgrade (the `minor_upgrade` fault). `ShowCacheNodeInfo=true` adds the node
(`0001`) with its endpoint; `ShowCacheClustersNotInReplicationGroups=true` leaves members out.
Shapes: botocore elasticache `CacheCluster`; behaviour: ElastiCache API reference,
DescribeCacheClusters ("... for replication group members, the cluster ID is the member's").
"""

from __future__ import annotations

from datetime import timezone

from .errors import AwsError
from .hooks import on
from .partition import partition_of
from .versions import EC_NS, cache_resolve
from .xmlresp import Items, query_response

_RG_STATUS = {"creating": "creating", "available": "available", "modifying": "modifying",
              "deleting": "deleting", "create-failed": "create-failed", "snapshotting": "snapshotting"}


def _backend(ctx):
    from moto.elasticache.models import elasticache_backends

    return elasticache_backends[ctx.account][ctx.region]


def _iso(dt) -> str | None:
    if dt is None:
        return None
    if isinstance(dt, str):
        return dt
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.isoformat().replace("+00:00", "Z")


def _region_code(region: str) -> str:
    from .zones import region_zones

    zones = region_zones(region)
    return zones[0].zone_id.split("-az")[0] if zones else region


def running_version(group) -> str:
    engine = (getattr(group, "engine", None) or "redis").lower()
    return cache_resolve(engine, getattr(group, "engine_version", None)) or getattr(group, "engine_version", "")


def _member_view(ctx, group, member: str, show_nodes: bool) -> dict:
    status = _RG_STATUS.get(str(getattr(group, "status", "available")), "available")
    created = _iso(getattr(group, "replication_group_create_time", None))
    view = {
        "CacheClusterId": member,
        "CacheNodeType": group.cache_node_type,
        "Engine": group.engine,
        "EngineVersion": running_version(group),
        "CacheClusterStatus": status,
        "NumCacheNodes": 1,
        "PreferredAvailabilityZone": f"{ctx.region}a",
        "CacheClusterCreateTime": created,
        "PreferredMaintenanceWindow": getattr(group, "preferred_maintenance_window", None) or "sun:05:00-sun:06:00",
        "PendingModifiedValues": {},
        "CacheSecurityGroups": Items("CacheSecurityGroup", []),
        "CacheParameterGroup": {
            "CacheParameterGroupName": group.cache_parameter_group_name or _default_group(group),
            "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": Items("CacheNodeId", [])},
        "CacheSubnetGroupName": group.cache_subnet_group_name,
        "AutoMinorVersionUpgrade": bool(getattr(group, "auto_minor_version_upgrade", True)),
        "SecurityGroups": Items("member", [{"SecurityGroupId": sg, "Status": "active"}
                                           for sg in (group.security_group_ids or [])]),
        "ReplicationGroupId": group.replication_group_id,
        "SnapshotRetentionLimit": 0,
        "AuthTokenEnabled": bool(getattr(group, "auth_token_enabled", False)),
        "TransitEncryptionEnabled": bool(group.transit_encryption_enabled),
        "AtRestEncryptionEnabled": bool(group.at_rest_encryption_enabled),
        "ARN": f"arn:{partition_of(ctx.region)}:elasticache:{ctx.region}:{ctx.account}:cluster:{member}",
        "ReplicationGroupLogDeliveryEnabled": False,
        "NetworkType": getattr(group, "network_type", "ipv4"),
        "IpDiscovery": getattr(group, "ip_discovery", "ipv4"),
    }
    if show_nodes:
        address = (f"{member}.{group.replication_group_id}.emu0001.{_region_code(ctx.region)}"
                   f".cache.amazonaws.com")
        view["CacheNodes"] = Items("CacheNode", [{
            "CacheNodeId": "0001", "CacheNodeStatus": status, "CacheNodeCreateTime": created,
            "Endpoint": {"Address": address, "Port": group.port}, "ParameterGroupStatus": "in-sync",
            "CustomerAvailabilityZone": f"{ctx.region}a"}])
    return view


def _default_group(group) -> str:
    version = running_version(group)
    major = version.split(".")[0]
    family = f"{group.engine}{major}" if group.engine == "valkey" or int(major or 0) >= 7 else f"{group.engine}{major}.x"
    return f"default.{family}" + (".cluster.on" if group.cluster_mode == "enabled" else "")


def _standalone_view(ctx, cluster, show_nodes: bool) -> dict:
    engine = getattr(cluster, "engine", "redis")
    view = {
        "CacheClusterId": cluster.cache_cluster_id,
        "CacheNodeType": getattr(cluster, "cache_node_type", None),
        "Engine": engine,
        "EngineVersion": cache_resolve(engine, getattr(cluster, "engine_version", None)),
        "CacheClusterStatus": getattr(cluster, "cache_cluster_status", "available"),
        "NumCacheNodes": getattr(cluster, "num_cache_nodes", 1),
        "PreferredAvailabilityZone": getattr(cluster, "preferred_availability_zone", None),
        "CacheClusterCreateTime": _iso(getattr(cluster, "cache_cluster_create_time", None)),
        "CacheSubnetGroupName": getattr(cluster, "cache_subnet_group_name", None),
        "AutoMinorVersionUpgrade": bool(getattr(cluster, "auto_minor_version_upgrade", True)),
        "ReplicationGroupId": getattr(cluster, "replication_group_id", None),
        "ARN": f"arn:{partition_of(ctx.region)}:elasticache:{ctx.region}:{ctx.account}:cluster:"
               f"{cluster.cache_cluster_id}",
    }
    if show_nodes:
        view["CacheNodes"] = Items("CacheNode", [
            {"CacheNodeId": f"{i + 1:04d}", "CacheNodeStatus": view["CacheClusterStatus"],
             "CacheNodeCreateTime": view["CacheClusterCreateTime"]}
            for i in range(int(view["NumCacheNodes"] or 1))])
    return view


@on("elasticache", "DescribeCacheClusters")
def describe_cache_clusters(ctx, _next):
    p = ctx.params()
    wanted = p.get("CacheClusterId")
    show_nodes = str(p.get("ShowCacheNodeInfo", "false")).lower() == "true"
    standalone_only = str(p.get("ShowCacheClustersNotInReplicationGroups", "false")).lower() == "true"
    be = _backend(ctx)
    views = [_standalone_view(ctx, c, show_nodes) for c in be.cache_clusters.values()]
    if not standalone_only:
        for group in be.replication_groups.values():
            views += [_member_view(ctx, group, m, show_nodes) for m in group.member_clusters]
    if wanted:
        views = [v for v in views if v["CacheClusterId"] == wanted]
        if not views:
            raise AwsError("CacheClusterNotFound", f"CacheCluster {wanted} not found.", 404)
    return query_response("DescribeCacheClusters", EC_NS, {"CacheClusters": Items("CacheCluster", views)})
