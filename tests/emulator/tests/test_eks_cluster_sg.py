"""The cluster security group EKS makes, with its default rules; rule descriptions of group pairs."""

import pytest
from botocore.exceptions import ClientError


def make_cluster(emu, account):
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
               ["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    eks = emu.client("eks", account)
    created = eks.create_cluster(name="c", version="1.35", roleArn=f"arn:aws:iam::{account}:role/eks",
                                 resourcesVpcConfig={"subnetIds": subnets})["cluster"]
    return ec2, eks, vpc, created


def test_create_cluster_makes_the_cluster_security_group(emu, zero_account):
    ec2, eks, vpc, created = make_cluster(emu, zero_account)
    group_id = created["resourcesVpcConfig"]["clusterSecurityGroupId"]
    described = eks.describe_cluster(name="c")["cluster"]["resourcesVpcConfig"]
    assert described["clusterSecurityGroupId"] == group_id
    assert described["vpcId"] == vpc
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert group["GroupName"].startswith("eks-cluster-sg-c-")
    assert group["VpcId"] == vpc
    tags = {t["Key"]: t["Value"] for t in group["Tags"]}
    assert tags == {"kubernetes.io/cluster/c": "owned", "aws:eks:cluster-name": "c"}
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    shapes = sorted((r["IsEgress"], r["IpProtocol"], r.get("CidrIpv4"),
                     r.get("ReferencedGroupInfo", {}).get("GroupId")) for r in rules["SecurityGroupRules"])
    assert shapes == [(False, "-1", None, group_id), (True, "-1", "0.0.0.0/0", None)]


def test_update_cluster_config_keeps_the_group_and_delete_removes_it(emu, zero_account):
    ec2, eks, _, created = make_cluster(emu, zero_account)
    group_id = created["resourcesVpcConfig"]["clusterSecurityGroupId"]
    eks.update_cluster_config(name="c", resourcesVpcConfig={"endpointPublicAccess": True})
    assert eks.describe_cluster(name="c")["cluster"]["resourcesVpcConfig"]["clusterSecurityGroupId"] == group_id
    eks.delete_cluster(name="c")
    with pytest.raises(ClientError) as err:
        ec2.describe_security_groups(GroupIds=[group_id])
    assert err.value.response["Error"]["Code"] == "InvalidGroup.NotFound"


def test_group_pair_rules_keep_their_description(emu, account):
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc)["GroupId"]
    b = ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
        "UserIdGroupPairs": [{"GroupId": b, "Description": "from b"}]}])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [a]}])["SecurityGroupRules"]
    assert [r.get("Description") for r in rules if not r["IsEgress"]] == ["from b"]
