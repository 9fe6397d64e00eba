"""AWS's dependency rules on delete, each with AWS's error code."""

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for


def code_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    return err.value.response["Error"]["Code"]


def vpc_with_subnets(ec2, region="us-east-1"):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")
               ["Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]
    return vpc, subnets


def test_vpc_with_subnets_igw_groups(emu, zero_account):
    ec2 = emu.client("ec2", zero_account)
    vpc, subnets = vpc_with_subnets(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]

    assert code_of(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    for s in subnets:
        ec2.delete_subnet(SubnetId=s)
    assert code_of(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"  # IGW and SG still there
    assert code_of(ec2.delete_internet_gateway, InternetGatewayId=igw) == "DependencyViolation"  # attached
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    assert code_of(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"  # SG
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_vpc(VpcId=vpc)


def test_vpc_and_subnet_with_eni(emu, zero_account):
    ec2 = emu.client("ec2", zero_account)
    vpc, subnets = vpc_with_subnets(ec2)
    eni = ec2.create_network_interface(SubnetId=subnets[0])["NetworkInterface"]["NetworkInterfaceId"]
    assert code_of(ec2.delete_subnet, SubnetId=subnets[0]) == "DependencyViolation"
    ec2.delete_subnet(SubnetId=subnets[1])
    assert code_of(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=subnets[0])
    ec2.delete_vpc(VpcId=vpc)


def test_subnet_with_mount_target_load_balancer_nat(emu, zero_account):
    ec2 = emu.client("ec2", zero_account)
    _, subnets = vpc_with_subnets(ec2)
    efs = emu.client("efs", zero_account)
    fs = efs.create_file_system(CreationToken="t")["FileSystemId"]
    mt = efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[0])["MountTargetId"]
    assert code_of(ec2.delete_subnet, SubnetId=subnets[0]) == "DependencyViolation"
    assert code_of(efs.delete_file_system, FileSystemId=fs) == "FileSystemInUse"
    efs.delete_mount_target(MountTargetId=mt)
    efs.delete_file_system(FileSystemId=fs)
    ec2.delete_subnet(SubnetId=subnets[0])

    elb = emu.client("elbv2", zero_account)
    sub3 = ec2.create_subnet(VpcId=ec2.describe_subnets(SubnetIds=[subnets[1]])["Subnets"][0]["VpcId"],
                             CidrBlock="10.0.3.0/24", AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
    lb = elb.create_load_balancer(Name="web", Subnets=[subnets[1], sub3])["LoadBalancers"][0]["LoadBalancerArn"]
    assert code_of(ec2.delete_subnet, SubnetId=subnets[1]) == "DependencyViolation"
    elb.delete_load_balancer(LoadBalancerArn=lb)
    ec2.delete_subnet(SubnetId=subnets[1])

    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=sub3, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    assert code_of(ec2.delete_subnet, SubnetId=sub3) == "DependencyViolation"
    assert code_of(ec2.release_address, AllocationId=eip) == "DependencyViolation"
    ec2.delete_nat_gateway(NatGatewayId=nat)
    ec2.release_address(AllocationId=eip)
    ec2.delete_subnet(SubnetId=sub3)


def test_security_group_references(emu, zero_account):
    ec2 = emu.client("ec2", zero_account)
    vpc, subnets = vpc_with_subnets(ec2)
    alb_sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    app_sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=app_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 3838, "ToPort": 3838, "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
    assert code_of(ec2.delete_security_group, GroupId=alb_sg) == "DependencyViolation"
    ec2.revoke_security_group_ingress(GroupId=app_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 3838, "ToPort": 3838, "UserIdGroupPairs": [{"GroupId": alb_sg}]}])

    elb = emu.client("elbv2", zero_account)
    lb = elb.create_load_balancer(Name="web", Subnets=subnets, SecurityGroups=[alb_sg])["LoadBalancers"][0]
    assert code_of(ec2.delete_security_group, GroupId=alb_sg) == "DependencyViolation"
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    ec2.delete_security_group(GroupId=alb_sg)

    efs = emu.client("efs", zero_account)
    fs = efs.create_file_system(CreationToken="sg")["FileSystemId"]
    mt = efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[0], SecurityGroups=[app_sg])["MountTargetId"]
    assert code_of(ec2.delete_security_group, GroupId=app_sg) == "DependencyViolation"
    efs.delete_mount_target(MountTargetId=mt)

    eni = ec2.create_network_interface(SubnetId=subnets[1], Groups=[app_sg])["NetworkInterface"]
    assert code_of(ec2.delete_security_group, GroupId=app_sg) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_security_group(GroupId=app_sg)


def test_mount_target_interface_is_in_use_and_not_deletable(emu, zero_account):
    ec2 = emu.client("ec2", zero_account)
    vpc, subnets = vpc_with_subnets(ec2)
    efs = emu.client("efs", zero_account)
    fs = efs.create_file_system(CreationToken="eni")["FileSystemId"]
    mt = efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[0])
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"]
    assert [(e["NetworkInterfaceId"], e["Status"], e["RequesterManaged"]) for e in enis] == [
        (mt["NetworkInterfaceId"], "in-use", True)]
    assert enis[0]["Description"] == f"EFS mount target for {fs} ({mt['MountTargetId']})"
    assert not ec2.describe_network_interfaces(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "status", "Values": ["available"]}])["NetworkInterfaces"]
    assert code_of(ec2.delete_network_interface,
                   NetworkInterfaceId=mt["NetworkInterfaceId"]) == "InvalidNetworkInterface.InUse"
    efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
    assert not ec2.describe_network_interfaces(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"]


def test_deleting_mount_target_still_blocks(emu, account):
    """With time: a mount target in `deleting` still holds its subnet and file system."""
    ec2 = emu.client("ec2", account)
    _, subnets = vpc_with_subnets(ec2)
    efs = emu.client("efs", account)
    fs = efs.create_file_system(CreationToken="slow")["FileSystemId"]
    wait_for(lambda: efs.describe_file_systems(FileSystemId=fs)["FileSystems"][0]["LifeCycleState"], "available")
    mt = efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[0])["MountTargetId"]
    wait_for(lambda: efs.describe_mount_targets(FileSystemId=fs)["MountTargets"][0]["LifeCycleState"], "available")
    efs.delete_mount_target(MountTargetId=mt)
    assert code_of(efs.delete_file_system, FileSystemId=fs) == "FileSystemInUse"
    assert code_of(ec2.delete_subnet, SubnetId=subnets[0]) == "DependencyViolation"
    wait_for(lambda: len(efs.describe_mount_targets(FileSystemId=fs)["MountTargets"]), 0)
    efs.delete_file_system(FileSystemId=fs)
    ec2.delete_subnet(SubnetId=subnets[0])


def test_eks_cluster_with_nodegroups_and_fargate(emu, zero_account):
    role = f"arn:aws:iam::{zero_account}:role/eks"
    ec2 = emu.client("ec2", zero_account)
    _, subnets = vpc_with_subnets(ec2)
    eks = emu.client("eks", zero_account)
    eks.create_cluster(name="c", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
    eks.create_nodegroup(clusterName="c", nodegroupName="ng", subnets=subnets, nodeRole=role)
    assert code_of(eks.delete_cluster, name="c") == "ResourceInUseException"
    eks.delete_nodegroup(clusterName="c", nodegroupName="ng")
    eks.create_fargate_profile(clusterName="c", fargateProfileName="fp", podExecutionRoleArn=role,
                               selectors=[{"namespace": "a"}])
    assert code_of(eks.delete_cluster, name="c") == "ResourceInUseException"
    eks.delete_fargate_profile(clusterName="c", fargateProfileName="fp")
    eks.delete_cluster(name="c")


def test_concurrent_fargate_profile_operations(emu, account):
    role = f"arn:aws:iam::{account}:role/eks"
    eks = emu.client("eks", account)
    emu.set_profile(account, {"durations": {"eks_cluster_create": 0}})
    eks.create_cluster(name="c", roleArn=role, resourcesVpcConfig={"subnetIds": []})
    eks.create_fargate_profile(clusterName="c", fargateProfileName="one", podExecutionRoleArn=role,
                               selectors=[{"namespace": "a"}])
    assert code_of(eks.create_fargate_profile, clusterName="c", fargateProfileName="two",
                   podExecutionRoleArn=role, selectors=[{"namespace": "b"}]) == "ResourceInUseException"
    fp = lambda name: eks.describe_fargate_profile(clusterName="c", fargateProfileName=name)["fargateProfile"]["status"]  # noqa: E731,E501
    wait_for(lambda: fp("one"), "ACTIVE")
    eks.create_fargate_profile(clusterName="c", fargateProfileName="two", podExecutionRoleArn=role,
                               selectors=[{"namespace": "b"}])
    assert code_of(eks.delete_fargate_profile, clusterName="c", fargateProfileName="one") == "ResourceInUseException"
    wait_for(lambda: fp("two"), "ACTIVE")
    eks.delete_fargate_profile(clusterName="c", fargateProfileName="one")
    assert code_of(eks.delete_fargate_profile, clusterName="c", fargateProfileName="two") == "ResourceInUseException"


def test_rds_groups_in_use_and_deletion_protection(emu, zero_account):
    ec2 = emu.client("ec2", zero_account)
    _, subnets = vpc_with_subnets(ec2)
    rds = emu.client("rds", zero_account)
    rds.create_db_parameter_group(DBParameterGroupName="mysql-pg", DBParameterGroupFamily="mysql8.0",
                                  Description="pg")
    rds.create_db_subnet_group(DBSubnetGroupName="dbs", DBSubnetGroupDescription="dbs", SubnetIds=subnets)
    rds.create_db_instance(DBInstanceIdentifier="db", DBInstanceClass="db.t3.micro", Engine="mysql",
                           MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20,
                           DBParameterGroupName="mysql-pg", DBSubnetGroupName="dbs", DeletionProtection=True)
    assert code_of(rds.delete_db_parameter_group, DBParameterGroupName="mysql-pg") == "InvalidDBParameterGroupState"
    assert code_of(rds.delete_db_subnet_group, DBSubnetGroupName="dbs") == "InvalidDBSubnetGroupStateFault"
    assert code_of(rds.delete_db_instance, DBInstanceIdentifier="db",
                   SkipFinalSnapshot=True) == "InvalidParameterCombination"
    rds.modify_db_instance(DBInstanceIdentifier="db", DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=True)
    rds.delete_db_parameter_group(DBParameterGroupName="mysql-pg")
    rds.delete_db_subnet_group(DBSubnetGroupName="dbs")

    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="cpg", DBParameterGroupFamily="aurora-postgresql15",
                                          Description="cpg")
    rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", MasterUsername="pg",
                          MasterUserPassword="password123", DeletionProtection=True,
                          DBClusterParameterGroupName="cpg")
    assert code_of(rds.delete_db_cluster_parameter_group,
                   DBClusterParameterGroupName="cpg") == "InvalidDBParameterGroupState"
    assert code_of(rds.delete_db_cluster, DBClusterIdentifier="aurora",
                   SkipFinalSnapshot=True) == "InvalidParameterCombination"
