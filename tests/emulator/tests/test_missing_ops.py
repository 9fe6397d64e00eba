"""Operations moto lacks that shinyctl needs, answered as AWS answers them."""

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for


def code_of(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"]


def subnets_of(emu, account):
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return ec2, [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")
                 ["Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]


def test_cache_parameter_groups(emu, zero_account):
    ec = emu.client("elasticache", zero_account)
    g = ec.create_cache_parameter_group(CacheParameterGroupName="sessions", CacheParameterGroupFamily="redis7",
                                        Description="sessions")["CacheParameterGroup"]
    assert g["CacheParameterGroupName"] == "sessions" and g["CacheParameterGroupFamily"] == "redis7"
    assert g["ARN"] == f"arn:aws:elasticache:us-east-1:{zero_account}:parametergroup:sessions"
    assert code_of(ec.create_cache_parameter_group, CacheParameterGroupName="sessions",
                   CacheParameterGroupFamily="redis7", Description="x") == "CacheParameterGroupAlreadyExists"
    ec.modify_cache_parameter_group(CacheParameterGroupName="sessions", ParameterNameValues=[
        {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}])
    params = ec.describe_cache_parameters(CacheParameterGroupName="sessions")["Parameters"]
    assert [(x["ParameterName"], x["ParameterValue"]) for x in params] == [("maxmemory-policy", "allkeys-lru")]
    groups = ec.describe_cache_parameter_groups(CacheParameterGroupName="sessions")["CacheParameterGroups"]
    assert [x["CacheParameterGroupName"] for x in groups] == ["sessions"]
    assert ec.describe_cache_parameter_groups(CacheParameterGroupName="default.redis7")["CacheParameterGroups"]

    ec.create_replication_group(ReplicationGroupId="r", ReplicationGroupDescription="r", Engine="redis",
                                CacheNodeType="cache.t3.micro", CacheParameterGroupName="sessions")
    assert code_of(ec.delete_cache_parameter_group,
                   CacheParameterGroupName="sessions") == "InvalidCacheParameterGroupState"
    ec.delete_replication_group(ReplicationGroupId="r")
    ec.delete_cache_parameter_group(CacheParameterGroupName="sessions")
    assert code_of(ec.describe_cache_parameter_groups,
                   CacheParameterGroupName="sessions") == "CacheParameterGroupNotFound"
    assert code_of(ec.create_replication_group, ReplicationGroupId="r2", ReplicationGroupDescription="r",
                   Engine="redis", CacheNodeType="cache.t3.micro",
                   CacheParameterGroupName="nope") == "CacheParameterGroupNotFound"


def test_cache_subnet_group_delete(emu, zero_account):
    _, subnets = subnets_of(emu, zero_account)
    ec = emu.client("elasticache", zero_account)
    ec.create_cache_subnet_group(CacheSubnetGroupName="csg", CacheSubnetGroupDescription="c", SubnetIds=subnets)
    ec.create_replication_group(ReplicationGroupId="r", ReplicationGroupDescription="r", Engine="redis",
                                CacheNodeType="cache.t3.micro", CacheSubnetGroupName="csg")
    assert code_of(ec.delete_cache_subnet_group, CacheSubnetGroupName="csg") == "CacheSubnetGroupInUse"
    ec.delete_replication_group(ReplicationGroupId="r")
    ec.delete_cache_subnet_group(CacheSubnetGroupName="csg")
    assert code_of(ec.delete_cache_subnet_group, CacheSubnetGroupName="csg") == "CacheSubnetGroupNotFoundFault"


def test_efs_update_file_system(emu, zero_account):
    efs = emu.client("efs", zero_account)
    fid = efs.create_file_system(CreationToken="u")["FileSystemId"]
    out = efs.update_file_system(FileSystemId=fid, ThroughputMode="provisioned", ProvisionedThroughputInMibps=64)
    assert out["ThroughputMode"] == "provisioned" and out["ProvisionedThroughputInMibps"] == 64
    fs = efs.describe_file_systems(FileSystemId=fid)["FileSystems"][0]
    assert fs["ThroughputMode"] == "provisioned"
    assert code_of(efs.update_file_system, FileSystemId="fs-00000000", ThroughputMode="elastic") == "FileSystemNotFound"


def test_eks_update_cluster_version(emu, account):
    eks = emu.client("eks", account)
    emu.set_profile(account, {"durations": {"eks_cluster_create": 0, "eks_cluster_update": 0.6}})
    eks.create_cluster(name="c", version="1.33", roleArn=f"arn:aws:iam::{account}:role/eks",
                       resourcesVpcConfig={"subnetIds": []})
    assert code_of(eks.update_cluster_version, name="c", version="1.35") == "InvalidParameterException"
    update = eks.update_cluster_version(name="c", version="1.34")["update"]
    assert update["status"] == "InProgress" and update["type"] == "VersionUpdate"
    assert eks.describe_cluster(name="c")["cluster"]["status"] == "UPDATING"
    assert code_of(eks.update_cluster_version, name="c", version="1.34") == "ResourceInUseException"
    status = lambda: eks.describe_update(name="c", updateId=update["id"])["update"]["status"]  # noqa: E731
    assert wait_for(status, "Successful") == ["InProgress", "Successful"]
    cluster = eks.describe_cluster(name="c")["cluster"]
    assert cluster["status"] == "ACTIVE" and cluster["version"] == "1.34"
    assert eks.list_updates(name="c")["updateIds"] == [update["id"]]
    assert code_of(eks.describe_update, name="c", updateId="nope") == "ResourceNotFoundException"


def test_nat_gateway_client_token(emu, zero_account):
    ec2, subnets = subnets_of(emu, zero_account)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    a = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip, ClientToken="tok-1")["NatGateway"]
    b = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip, ClientToken="tok-1")["NatGateway"]
    assert a["NatGatewayId"] == b["NatGatewayId"]
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1
    assert code_of(ec2.create_nat_gateway, SubnetId=subnets[1], AllocationId=eip,
                   ClientToken="tok-1") == "IdempotentParameterMismatch"


def test_efs_access_point_client_token(emu, zero_account):
    efs = emu.client("efs", zero_account)
    fid = efs.create_file_system(CreationToken="ap")["FileSystemId"]
    a = efs.create_access_point(ClientToken="t1", FileSystemId=fid, RootDirectory={"Path": "/data"})
    b = efs.create_access_point(ClientToken="t1", FileSystemId=fid, RootDirectory={"Path": "/data"})
    assert a["AccessPointId"] == b["AccessPointId"]
    assert len(efs.describe_access_points(FileSystemId=fid)["AccessPoints"]) == 1
    assert code_of(efs.create_access_point, ClientToken="t1", FileSystemId=fid,
                   RootDirectory={"Path": "/other"}) == "AccessPointAlreadyExists"


def test_same_name_alb(emu, zero_account):
    ec2, subnets = subnets_of(emu, zero_account)
    elb = emu.client("elbv2", zero_account)
    a = elb.create_load_balancer(Name="shiny", Subnets=subnets)["LoadBalancers"][0]
    b = elb.create_load_balancer(Name="shiny", Subnets=list(reversed(subnets)))["LoadBalancers"][0]
    assert a["LoadBalancerArn"] == b["LoadBalancerArn"]
    assert len(elb.describe_load_balancers()["LoadBalancers"]) == 1
    assert code_of(elb.create_load_balancer, Name="shiny", Subnets=subnets,
                   Scheme="internal") == "DuplicateLoadBalancerName"


def test_eks_lists_of_a_missing_cluster_answer_not_found(emu, zero_account):
    eks = emu.client("eks", zero_account)
    assert code_of(eks.list_nodegroups, clusterName="nope") == "ResourceNotFoundException"
    assert code_of(eks.list_fargate_profiles, clusterName="nope") == "ResourceNotFoundException"
