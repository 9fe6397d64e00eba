"""Deletes that take time: the resource stays visible in its deleting state, then goes."""

from __future__ import annotations

from .hooks import on
from .lifecycle import duration, keep_while_deleting, set_phase


def _ok(resp) -> bool:
    return resp.status < 300


def _ghost(container: dict, key: str, obj, steps, final=None):
    """Put `obj` back into `container` after moto removed it, until the deletion is done."""
    container[key] = obj

    def remove():
        if container.get(key) is obj:
            del container[key]

    keep_while_deleting(obj, steps, remove, final)


@on("eks", "DeleteCluster")
def eks_delete_cluster(ctx, call_next):
    from moto.eks.models import eks_backends

    be = eks_backends[ctx.account][ctx.region]
    name = ctx.params().get("name")
    obj = be.clusters.get(name)
    steps = [("DELETING", duration("eks_cluster_delete"))]
    if obj is not None:
        set_phase(obj, steps)  # the delete answer shows DELETING
    resp = call_next()
    if obj is not None and _ok(resp):
        _ghost(be.clusters, name, obj, steps)
    return resp


@on("eks", "DeleteNodegroup", "DeleteFargateProfile")
def eks_delete_child(ctx, call_next):
    from moto.eks.models import eks_backends

    be = eks_backends[ctx.account][ctx.region]
    p = ctx.params()
    cluster = be.clusters.get(p.get("clusterName"))
    if ctx.info.operation == "DeleteNodegroup":
        attr, key, dkey = "nodegroups", p.get("nodegroupName"), "eks_nodegroup_delete"
    else:
        attr, key, dkey = "fargate_profiles", p.get("fargateProfileName"), "eks_fargate_profile_delete"
    container = getattr(cluster, attr, {}) if cluster is not None else {}
    obj = container.get(key)
    steps = [("DELETING", duration(dkey))]
    if obj is not None:
        set_phase(obj, steps)
    resp = call_next()
    if obj is not None and _ok(resp):
        _ghost(container, key, obj, steps)
    return resp


@on("rds", "DeleteDBInstance")
def rds_delete_instance(ctx, call_next):
    from moto.rds.models import rds_backends

    be = rds_backends[ctx.account][ctx.region]
    ident = ctx.params().get("DBInstanceIdentifier")
    obj = be.databases.get(ident)
    resp = call_next()
    if obj is not None and _ok(resp):
        _ghost(be.databases, ident, obj, [("deleting", duration("rds_instance_delete"))])
    return resp


@on("rds", "CreateDBCluster")
def rds_create_cluster(ctx, call_next):
    """moto's DBCluster sets its status without the setter, so its phase starts here."""
    from moto.rds.models import rds_backends

    resp = call_next()
    be = rds_backends[ctx.account][ctx.region]
    obj = be.clusters.get(ctx.params().get("DBClusterIdentifier"))
    if obj is not None and _ok(resp) and "_emu_phase" not in obj.__dict__:
        d = duration("rds_cluster_create")
        if d > 0:
            set_phase(obj, [("creating", d)])
    return resp


@on("rds", "DeleteDBCluster")
def rds_delete_cluster(ctx, call_next):
    from moto.rds.models import rds_backends

    be = rds_backends[ctx.account][ctx.region]
    ident = ctx.params().get("DBClusterIdentifier")
    obj = be.clusters.get(ident)
    steps = [("deleting", duration("rds_cluster_delete"))]
    resp = call_next()
    if obj is not None and _ok(resp):
        _ghost(be.clusters, ident, obj, steps)
        # AWS removes a deleted cluster's automated backups unless DeleteAutomatedBackups is false
        # (botocore rds model, DeleteDBClusterMessage); moto keeps them (it does remove a DB
        # instance's), so a cluster made again within the minute met its old `rds:<id>-<time>`.
        if str(ctx.params().get("DeleteAutomatedBackups", "true")).lower() != "false":
            for sid, snap in list(be.cluster_snapshots.items()):
                if snap.snapshot_type == "automated" and snap.cluster.db_cluster_identifier == ident:
                    del be.cluster_snapshots[sid]
    return resp


@on("elasticache", "DeleteReplicationGroup")
def elasticache_delete_rg(ctx, call_next):
    """moto marks the group `deleting` forever; AWS removes it when the deletion is done."""
    from moto.elasticache.models import elasticache_backends

    be = elasticache_backends[ctx.account][ctx.region]
    ident = ctx.params().get("ReplicationGroupId")
    obj = be.replication_groups.get(ident)
    resp = call_next()
    if obj is not None and _ok(resp):
        for cid in list(getattr(obj, "member_clusters", []) or []):
            be.cache_clusters.pop(cid, None)
        _ghost(be.replication_groups, ident, obj, [("deleting", duration("elasticache_replication_group_delete"))])
    return resp


@on("elasticache", "ModifyReplicationGroup")
def elasticache_modify_rg(ctx, call_next):
    from moto.elasticache.models import elasticache_backends

    be = elasticache_backends[ctx.account][ctx.region]
    obj = be.replication_groups.get(ctx.params().get("ReplicationGroupId"))
    if obj is not None:
        set_phase(obj, [("modifying", duration("elasticache_replication_group_modify"))])
    return call_next()


@on("ec2", "DeleteNatGateway")
def ec2_delete_nat(ctx, call_next):
    from moto.ec2.models import ec2_backends

    be = ec2_backends[ctx.account][ctx.region]
    obj = be.nat_gateways.get(ctx.params().get("NatGatewayId"))
    if obj is not None:
        # AWS keeps a deleted NAT gateway visible (state `deleted`) for about an hour.
        set_phase(obj, [("deleting", duration("nat_gateway_delete"))])
    return call_next()


@on("efs", "DeleteFileSystem")
def efs_delete_fs(ctx, call_next):
    from moto.efs.models import efs_backends

    be = efs_backends[ctx.account][ctx.region]
    fsid = ctx.params().get("FileSystemId")
    obj = be.file_systems_by_id.get(fsid)
    resp = call_next()
    if obj is not None and _ok(resp):
        _ghost(be.file_systems_by_id, fsid, obj, [("deleting", duration("efs_file_system_delete"))])
    return resp


@on("efs", "DeleteMountTarget")
def efs_delete_mt(ctx, call_next):
    from moto.efs.models import efs_backends

    be = efs_backends[ctx.account][ctx.region]
    mtid = ctx.params().get("MountTargetId")
    obj = be.mount_targets_by_id.get(mtid)
    fs = be.file_systems_by_id.get(obj.file_system_id) if obj is not None else None
    az = next((k for k, v in fs._mount_targets.items() if v is obj), None) if fs is not None else None
    resp = call_next()
    if obj is not None and _ok(resp):
        steps = [("deleting", duration("efs_mount_target_delete"))]
        if fs is not None and az is not None and sum(d for _, d in steps) > 0:
            _ghost(fs._mount_targets, az, obj, steps)  # the file system still counts it
        _ghost(be.mount_targets_by_id, mtid, obj, steps)
    return resp
