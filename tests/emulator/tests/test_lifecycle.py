"""Resources pass through their real transitional states (test profile: 0.6 s per state)."""

import time

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for

ROLE = "arn:aws:iam::{}:role/eks"


def network(emu, account, region="us-east-1"):
    ec2 = emu.client("ec2", account, region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")
               ["Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]
    return ec2, vpc, subnets


def gone(fn, code):
    def check():
        try:
            return fn()
        except ClientError as err:
            assert err.response["Error"]["Code"] == code, err.response
            return "gone"
    return check


def test_eks_cluster_nodegroup_fargate(emu, account):
    _, _, subnets = network(emu, account)
    eks = emu.client("eks", account)
    c = eks.create_cluster(name="shiny", roleArn=ROLE.format(account),
                           resourcesVpcConfig={"subnetIds": subnets})["cluster"]
    assert c["status"] == "CREATING"
    status = lambda: eks.describe_cluster(name="shiny")["cluster"]["status"]  # noqa: E731
    assert wait_for(status, "ACTIVE") == ["CREATING", "ACTIVE"]

    eks.create_nodegroup(clusterName="shiny", nodegroupName="ng", subnets=subnets,
                         nodeRole=ROLE.format(account))
    ng = lambda: eks.describe_nodegroup(clusterName="shiny", nodegroupName="ng")["nodegroup"]["status"]  # noqa: E731
    assert wait_for(ng, "ACTIVE") == ["CREATING", "ACTIVE"]
    eks.create_fargate_profile(clusterName="shiny", fargateProfileName="fp", podExecutionRoleArn=ROLE.format(account),
                               selectors=[{"namespace": "apps"}], subnets=subnets)
    fp = lambda: eks.describe_fargate_profile(clusterName="shiny", fargateProfileName="fp")["fargateProfile"]["status"]  # noqa: E731,E501
    assert wait_for(fp, "ACTIVE") == ["CREATING", "ACTIVE"]

    assert eks.delete_nodegroup(clusterName="shiny", nodegroupName="ng")["nodegroup"]["status"] == "DELETING"
    assert wait_for(gone(ng, "ResourceNotFoundException"), "gone") == ["DELETING", "gone"]
    assert eks.delete_fargate_profile(clusterName="shiny", fargateProfileName="fp")["fargateProfile"]["status"] == "DELETING"
    assert wait_for(gone(fp, "ResourceNotFoundException"), "gone") == ["DELETING", "gone"]
    assert eks.delete_cluster(name="shiny")["cluster"]["status"] == "DELETING"
    assert wait_for(gone(status, "ResourceNotFoundException"), "gone") == ["DELETING", "gone"]
    assert eks.list_clusters()["clusters"] == []


def test_rds_instance(emu, account):
    rds = emu.client("rds", account)
    db = rds.create_db_instance(DBInstanceIdentifier="db", DBInstanceClass="db.t3.micro", Engine="mysql",
                                MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20)
    assert db["DBInstance"]["DBInstanceStatus"] == "creating"
    status = lambda: rds.describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]["DBInstanceStatus"]  # noqa: E731,E501
    assert wait_for(status, "available") == ["creating", "backing-up", "available"]
    deleted = rds.delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=True)["DBInstance"]
    assert deleted["DBInstanceStatus"] == "deleting"
    assert wait_for(gone(status, "DBInstanceNotFound"), "gone") == ["deleting", "gone"]


def test_aurora_cluster_and_instance(emu, account):
    rds = emu.client("rds", account)
    c = rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", MasterUsername="pg",
                              ManageMasterUserPassword=True,
                              ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 4})["DBCluster"]
    assert c["Status"] == "creating"
    cstatus = lambda: rds.describe_db_clusters(DBClusterIdentifier="aurora")["DBClusters"][0]["Status"]  # noqa: E731
    assert wait_for(cstatus, "available") == ["creating", "available"]
    rds.create_db_instance(DBInstanceIdentifier="aurora-1", DBInstanceClass="db.serverless",
                           Engine="aurora-postgresql", DBClusterIdentifier="aurora")
    istatus = lambda: rds.describe_db_instances(DBInstanceIdentifier="aurora-1")["DBInstances"][0]["DBInstanceStatus"]  # noqa: E731,E501
    assert wait_for(istatus, "available") == ["creating", "backing-up", "available"]
    rds.delete_db_instance(DBInstanceIdentifier="aurora-1")
    assert wait_for(gone(istatus, "DBInstanceNotFound"), "gone") == ["deleting", "gone"]
    automated = lambda: [s["DBClusterSnapshotIdentifier"] for s in rds.describe_db_cluster_snapshots(  # noqa: E731
        SnapshotType="automated")["DBClusterSnapshots"] if s["DBClusterIdentifier"] == "aurora"]
    assert automated(), "a new cluster has an automated backup"
    rds.delete_db_cluster(DBClusterIdentifier="aurora", SkipFinalSnapshot=True)
    assert wait_for(gone(cstatus, "DBClusterNotFoundFault"), "gone") == ["deleting", "gone"]
    assert automated() == [], "its automated backups go with it (DeleteAutomatedBackups defaults to true)"
    # Made again at once (an ephemeral CI environment), the cluster gets its automated backup again.
    rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", MasterUsername="pg",
                          ManageMasterUserPassword=True)
    assert automated()


def test_elasticache_replication_group(emu, account):
    ec = emu.client("elasticache", account)
    rg = ec.create_replication_group(ReplicationGroupId="redis", ReplicationGroupDescription="sessions",
                                     Engine="redis", CacheNodeType="cache.t3.micro", NumNodeGroups=2,
                                     ReplicasPerNodeGroup=1, ClusterMode="enabled")["ReplicationGroup"]
    assert rg["Status"] == "creating"
    status = lambda: ec.describe_replication_groups(ReplicationGroupId="redis")["ReplicationGroups"][0]["Status"]  # noqa: E731,E501
    assert wait_for(status, "available") == ["creating", "available"]
    ec.modify_replication_group(ReplicationGroupId="redis", ApplyImmediately=True, SnapshotRetentionLimit=3)
    assert wait_for(status, "available") == ["modifying", "available"]
    assert ec.delete_replication_group(ReplicationGroupId="redis")["ReplicationGroup"]["Status"] == "deleting"
    assert wait_for(gone(status, "ReplicationGroupNotFoundFault"), "gone") == ["deleting", "gone"]


def test_nat_gateway(emu, account):
    ec2, _, subnets = network(emu, account)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]
    assert nat["State"] == "pending"
    state = lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["State"]  # noqa: E731,E501
    assert wait_for(state, "available") == ["pending", "available"]
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert wait_for(state, "deleted") == ["deleting", "deleted"]


def test_load_balancer(emu, account):
    _, _, subnets = network(emu, account)
    elb = emu.client("elbv2", account)
    lb = elb.create_load_balancer(Name="shiny", Subnets=subnets)["LoadBalancers"][0]
    assert lb["State"]["Code"] == "provisioning"
    state = lambda: elb.describe_load_balancers(Names=["shiny"])["LoadBalancers"][0]["State"]["Code"]  # noqa: E731
    assert wait_for(state, "active") == ["provisioning", "active"]


def test_efs_file_system_and_mount_target(emu, account):
    _, _, subnets = network(emu, account)
    efs = emu.client("efs", account)
    fs = efs.create_file_system(CreationToken="shared")
    assert fs["LifeCycleState"] == "creating"
    fid = fs["FileSystemId"]
    fstate = lambda: efs.describe_file_systems(FileSystemId=fid)["FileSystems"][0]["LifeCycleState"]  # noqa: E731
    assert wait_for(fstate, "available") == ["creating", "available"]
    mt = efs.create_mount_target(FileSystemId=fid, SubnetId=subnets[0])
    assert mt["LifeCycleState"] == "creating"
    mstate = lambda: efs.describe_mount_targets(MountTargetId=mt["MountTargetId"])["MountTargets"][0]["LifeCycleState"]  # noqa: E731,E501
    assert wait_for(mstate, "available") == ["creating", "available"]
    efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
    assert wait_for(gone(mstate, "MountTargetNotFound"), "gone") == ["deleting", "gone"]
    efs.delete_file_system(FileSystemId=fid)
    assert wait_for(gone(fstate, "FileSystemNotFound"), "gone") == ["deleting", "gone"]


def test_zero_profile_makes_everything_ready(emu, zero_account):
    eks = emu.client("eks", zero_account)
    c = eks.create_cluster(name="fast", roleArn=ROLE.format(zero_account), resourcesVpcConfig={"subnetIds": []})
    assert c["cluster"]["status"] == "ACTIVE"
    eks.delete_cluster(name="fast")
    with pytest.raises(ClientError):
        eks.describe_cluster(name="fast")


def test_a_resource_being_deleted_stays_deleting_until_it_is_removed():
    """Between the end of a deletion's time and the reap that removes it, a describe still
    shows the deleting state, never the state before the delete (AWS never goes back)."""
    from shinyemu import lifecycle

    class Thing:
        pass

    lifecycle.track(Thing, "status", [])
    thing = Thing()
    thing.status = "available"
    removed = []
    lifecycle.keep_while_deleting(thing, [("deleting", 0.05)], lambda: removed.append(True))
    assert thing.status == "deleting"
    time.sleep(0.1)
    assert removed == [], "not reaped yet"
    assert thing.status == "deleting"
    lifecycle.reap()
    assert removed == [True]
