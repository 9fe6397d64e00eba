"""Availability zones as the regions have them; EKS refuses the zones it does not support."""

import pytest
from botocore.exceptions import ClientError


def zones_of(emu, account, region):
    ec2 = emu.client("ec2", account, region)
    return [(z["ZoneName"], z["ZoneId"]) for z in ec2.describe_availability_zones()["AvailabilityZones"]]


@pytest.mark.parametrize("region,expected", [
    ("cn-north-1", [("cn-north-1a", "cnn1-az1"), ("cn-north-1b", "cnn1-az2"), ("cn-north-1d", "cnn1-az4")]),
    ("cn-northwest-1", [("cn-northwest-1a", "cnnw1-az1"), ("cn-northwest-1b", "cnnw1-az2"),
                        ("cn-northwest-1c", "cnnw1-az3")]),
    ("ap-northeast-1", [("ap-northeast-1a", "apne1-az4"), ("ap-northeast-1c", "apne1-az1"),
                        ("ap-northeast-1d", "apne1-az2")]),
    ("us-east-1", [("us-east-1a", "use1-az6"), ("us-east-1b", "use1-az1"), ("us-east-1c", "use1-az2"),
                   ("us-east-1d", "use1-az4"), ("us-east-1e", "use1-az3"), ("us-east-1f", "use1-az5")]),
])
def test_regions_have_their_zones(emu, account, region, expected):
    assert zones_of(emu, account, region) == expected


def test_subnet_in_a_zone_the_region_lacks_is_refused(emu, account):
    ec2 = emu.client("ec2", account, "cn-north-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError) as err:
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="cn-north-1c")
    e = err.value.response["Error"]
    assert e["Code"] == "InvalidParameterValue"
    assert e["Message"] == ("Value (cn-north-1c) for parameter availabilityZone is invalid. Subnets can currently "
                            "only be created in the following availability zones: cn-north-1a, cn-north-1b, "
                            "cn-north-1d.")
    with pytest.raises(ClientError) as err:  # a zone of another region
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    s = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="cn-north-1d")["Subnet"]
    assert s["AvailabilityZoneId"] == "cnn1-az4"


def test_eks_refuses_a_subnet_in_an_unsupported_zone(emu, zero_account):
    ec2 = emu.client("ec2", zero_account)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
               ["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "e"))]
    eks = emu.client("eks", zero_account)
    with pytest.raises(ClientError) as err:
        eks.create_cluster(name="c", version="1.35", roleArn=f"arn:aws:iam::{zero_account}:role/eks",
                           resourcesVpcConfig={"subnetIds": subnets})
    r = err.value.response
    assert r["Error"]["Code"] == "UnsupportedAvailabilityZoneException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r["Error"]["Message"] == (
        "Cannot create cluster 'c' because us-east-1e, the targeted availability zone, does not currently have "
        "sufficient capacity to support the cluster. Retry and choose from these availability zones: "
        "us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f")
    assert r["validZones"] == ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"]
    assert r["clusterName"] == "c"
    eks.create_cluster(name="c", version="1.35", roleArn=f"arn:aws:iam::{zero_account}:role/eks",
                       resourcesVpcConfig={"subnetIds": subnets[:1]})
