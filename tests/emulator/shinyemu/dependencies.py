"""AWS's dependency rules on delete, with AWS's error codes (moto enforces few of them).

Each check runs before moto sees the delete and raises the error AWS answers while a
dependent resource still exists (resources in a deleting state still count, as on AWS).
"""

from __future__ import annotations

from .errors import AwsError
from .hooks import on
from .lifecycle import in_transition


def _ec2(ctx):
    from moto.ec2.models import ec2_backends

    return ec2_backends[ctx.account][ctx.region]


def _live_nats(be):
    return [n for n in be.nat_gateways.values() if n.state != "deleted"]


def _dead_nat_enis(be) -> set:
    return {n._eni.id for n in be.nat_gateways.values() if n.state == "deleted" and getattr(n, "_eni", None)}


def _live_enis(be):
    dead = _dead_nat_enis(be)
    return [e for e in be.enis.values() if e.id not in dead]


def _mount_targets(ctx):
    from moto.efs.models import efs_backends

    return list(efs_backends[ctx.account][ctx.region].mount_targets_by_id.values())


def _load_balancers(ctx):
    from moto.elbv2.models import elbv2_backends

    return list(elbv2_backends[ctx.account][ctx.region].load_balancers.values())


def _violation(message: str) -> AwsError:
    return AwsError("DependencyViolation", message, 400)


@on("ec2", "DeleteVpc")
def delete_vpc(ctx, call_next):
    be = _ec2(ctx)
    vpc_id = ctx.params().get("VpcId")
    if vpc_id in be.vpcs:
        subnets = [s for by_az in be.subnets.values() for s in by_az.values() if s.vpc_id == vpc_id]
        igws = [i for i in be.internet_gateways.values() if i.vpc is not None and i.vpc.id == vpc_id]
        groups = [g for g in be.groups.get(vpc_id, {}).values() if g.name != "default"]
        enis = [e for e in _live_enis(be) if e.subnet.vpc_id == vpc_id]
        if subnets or igws or groups or enis:
            raise _violation(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    return call_next()


@on("ec2", "DeleteSubnet")
def delete_subnet(ctx, call_next):
    be = _ec2(ctx)
    subnet_id = ctx.params().get("SubnetId")
    blockers = (
        [m for m in _mount_targets(ctx) if m.subnet_id == subnet_id]
        + [lb for lb in _load_balancers(ctx) if subnet_id in [s.id for s in lb.subnets]]
        + [n for n in _live_nats(be) if n.subnet_id == subnet_id]
        + [e for e in _live_enis(be) if e.subnet.id == subnet_id]
    )
    if blockers:
        raise _violation(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    for eni_id in _dead_nat_enis(be):  # a deleted NAT gateway has released its interface
        eni = be.enis.get(eni_id)
        if eni is not None and eni.subnet.id == subnet_id:
            be.enis.pop(eni_id, None)
    return call_next()


@on("ec2", "DeleteSecurityGroup")
def delete_security_group(ctx, call_next):
    be = _ec2(ctx)
    p = ctx.params()
    group_id = p.get("GroupId")
    if not group_id and p.get("GroupName"):
        for by_vpc in be.groups.values():
            for g in by_vpc.values():
                if g.name == p["GroupName"]:
                    group_id = g.id
    if group_id:
        for by_vpc in be.groups.values():
            for g in by_vpc.values():
                if g.id == group_id:
                    continue
                for rule in list(g.ingress_rules) + list(g.egress_rules):
                    if (rule.source_group or {}).get("GroupId") == group_id:
                        raise _violation(f"resource {group_id} has a dependent object")
        attached = (
            [e for e in _live_enis(be) if group_id in [getattr(s, "id", s) for s in e.group_set]]
            + [m for m in _mount_targets(ctx) if group_id in (m.security_groups or [])]
            + [lb for lb in _load_balancers(ctx) if group_id in (lb.security_groups or [])]
        )
        if attached:
            raise _violation(f"resource {group_id} has a dependent object")
    return call_next()


@on("ec2", "DeleteInternetGateway")
def delete_internet_gateway(ctx, call_next):
    be = _ec2(ctx)
    igw_id = ctx.params().get("InternetGatewayId")
    igw = be.internet_gateways.get(igw_id)
    if igw is not None and igw.vpc is not None:
        raise _violation(f"The internetGateway '{igw_id}' has dependencies and cannot be deleted.")
    return call_next()


@on("ec2", "ReleaseAddress")
def release_address(ctx, call_next):
    be = _ec2(ctx)
    p = ctx.params()
    alloc, ip = p.get("AllocationId"), p.get("PublicIp")
    for eip in be.addresses:
        if (alloc and eip.allocation_id == alloc) or (ip and eip.public_ip == ip):
            nat = next((n for n in be.nat_gateways.values()
                        if getattr(n, "_eni", None) is not None and eip.eni is n._eni), None)
            if nat is not None and nat.state != "deleted":
                raise _violation(f"The address {alloc or ip} is associated with {nat.id} and cannot be released.")
    return call_next()


@on("efs", "CreateMountTarget")
def mount_target_interface_in_use(ctx, call_next):
    """A mount target's network interface belongs to EFS, as on AWS: `in-use`, requester-managed,
    described; moto leaves it `available`, so a sweep of detached interfaces would take it."""
    from moto.efs.models import efs_backends

    resp = call_next()
    if resp.status == 200:
        be = efs_backends[ctx.account][ctx.region]
        for mt in be.mount_targets_by_id.values():
            eni = _ec2(ctx).enis.get(mt.network_interface_id or "")
            if eni is not None and eni.status == "available":
                eni.status = "in-use"
                eni.requester_managed = True
                eni.description = f"EFS mount target for {mt.file_system_id} ({mt.mount_target_id})"
    return resp


@on("ec2", "DeleteNetworkInterface")
def delete_network_interface_in_use(ctx, call_next):
    eni = _ec2(ctx).enis.get(ctx.params().get("NetworkInterfaceId") or "")
    if eni is not None and eni.status == "in-use":
        raise AwsError("InvalidNetworkInterface.InUse",
                       f"The network interface '{eni.id}' is currently in use.", 400)
    return call_next()


@on("efs", "DeleteFileSystem")
def delete_file_system(ctx, call_next):
    fsid = ctx.params().get("FileSystemId")
    if any(m.file_system_id == fsid for m in _mount_targets(ctx)):
        raise AwsError("FileSystemInUse", "Must delete all mount targets before deleting file system.", 409)
    return call_next()


def _eks_cluster(ctx, name):
    from moto.eks.models import eks_backends

    return eks_backends[ctx.account][ctx.region].clusters.get(name)


@on("eks", "DeleteCluster")
def delete_eks_cluster(ctx, call_next):
    name = ctx.params().get("name")
    cluster = _eks_cluster(ctx, name)
    if cluster is not None:
        if cluster.nodegroups:
            raise AwsError("ResourceInUseException",
                           f"Cluster has nodegroups attached: {', '.join(cluster.nodegroups)}", 409)
        if cluster.fargate_profiles:
            raise AwsError("ResourceInUseException",
                           f"Cluster has fargate profiles attached: {', '.join(cluster.fargate_profiles)}", 409)
    return call_next()


@on("eks", "CreateFargateProfile", "DeleteFargateProfile")
def fargate_one_at_a_time(ctx, call_next):
    cluster = _eks_cluster(ctx, ctx.params().get("clusterName"))
    if cluster is not None:
        busy = [name for name, fp in cluster.fargate_profiles.items() if in_transition(fp)
                and fp.status in ("CREATING", "DELETING")]
        if busy:
            raise AwsError(
                "ResourceInUseException",
                f"Cannot {'create' if ctx.info.operation.startswith('Create') else 'delete'} Fargate Profile "
                f"because cluster {cluster.name} currently has Fargate profile {busy[0]} in status "
                f"{cluster.fargate_profiles[busy[0]].status}", 409)
    return call_next()


def _rds(ctx):
    from moto.rds.models import rds_backends

    return rds_backends[ctx.account][ctx.region]


@on("rds", "DeleteDBParameterGroup")
def delete_db_parameter_group(ctx, call_next):
    name = ctx.params().get("DBParameterGroupName")
    users = [d.db_instance_identifier for d in _rds(ctx).databases.values()
             if getattr(d, "db_parameter_group_name", None) == name]
    if users:
        raise AwsError("InvalidDBParameterGroupState",
                       f"One or more database instances are still members of this parameter group {name}, "
                       "so the group cannot be deleted", 400)
    return call_next()


@on("rds", "DeleteDBClusterParameterGroup")
def delete_db_cluster_parameter_group(ctx, call_next):
    name = ctx.params().get("DBClusterParameterGroupName")
    if any(getattr(c, "parameter_group", None) == name for c in _rds(ctx).clusters.values()):
        raise AwsError("InvalidDBParameterGroupState",
                       f"One or more clusters are still members of this parameter group {name}, "
                       "so the group cannot be deleted", 400)
    return call_next()


@on("rds", "DeleteDBSubnetGroup")
def delete_db_subnet_group(ctx, call_next):
    name = ctx.params().get("DBSubnetGroupName")
    be = _rds(ctx)
    if any(_subnet_group_of(x) == name for x in list(be.databases.values()) + list(be.clusters.values())):
        raise AwsError("InvalidDBSubnetGroupStateFault",
                       f"Cannot delete the subnet group '{name}' because at least one database "
                       "instance or cluster is still using it.", 400)
    return call_next()


def _subnet_group_of(resource) -> str | None:
    # moto's DBInstance keeps the group object (its name attribute is write-only).
    group = resource.__dict__.get("db_subnet_group")
    if group is not None:
        return getattr(group, "name", None)
    return resource.__dict__.get("db_subnet_group_name")
