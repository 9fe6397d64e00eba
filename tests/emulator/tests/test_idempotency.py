"""Idempotency tokens are remembered for idempotency_token_ttl seconds, also after a delete."""

import time

import pytest
from botocore.exceptions import ClientError
from test_missing_ops import subnets_of

TOKEN = "shinyctl-0123456789abcdef0123456789abcdef"  # EKS wants 33+ characters in practice


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_nat_gateway_token_outlives_the_gateway(emu, zero_account):
    ec2, subnets = subnets_of(emu, zero_account)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    a = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip, ClientToken="t")["NatGateway"]
    ec2.delete_nat_gateway(NatGatewayId=a["NatGatewayId"])
    again = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip, ClientToken="t")["NatGateway"]
    assert again["NatGatewayId"] == a["NatGatewayId"]
    assert error_of(ec2.create_nat_gateway, SubnetId=subnets[1], AllocationId=eip,
                    ClientToken="t") == ("IdempotentParameterMismatch", 400)


def test_launch_template_token(emu, zero_account):
    ec2 = emu.client("ec2", zero_account)
    lt = ec2.create_launch_template(LaunchTemplateName="lt", ClientToken="t",
                                    LaunchTemplateData={"InstanceType": "t3.micro"})["LaunchTemplate"]
    same = ec2.create_launch_template(LaunchTemplateName="lt", ClientToken="t",
                                      LaunchTemplateData={"InstanceType": "t3.micro"})["LaunchTemplate"]
    assert same["LaunchTemplateId"] == lt["LaunchTemplateId"]
    ec2.delete_launch_template(LaunchTemplateId=lt["LaunchTemplateId"])
    assert error_of(ec2.create_launch_template, LaunchTemplateName="lt", ClientToken="t",
                    LaunchTemplateData={"InstanceType": "m5.large"}) == ("IdempotentParameterMismatch", 400)


def test_efs_tokens(emu, zero_account):
    efs = emu.client("efs", zero_account)
    fid = efs.create_file_system(CreationToken="fs")["FileSystemId"]
    with pytest.raises(ClientError) as err:
        efs.create_file_system(CreationToken="fs", PerformanceMode="maxIO")
    r = err.value.response
    assert r["Error"]["Code"] == "FileSystemAlreadyExists" and r["FileSystemId"] == fid
    ap = efs.create_access_point(ClientToken="ap", FileSystemId=fid, RootDirectory={"Path": "/a"})
    efs.delete_access_point(AccessPointId=ap["AccessPointId"])
    assert efs.create_access_point(ClientToken="ap", FileSystemId=fid,
                                   RootDirectory={"Path": "/a"})["AccessPointId"] == ap["AccessPointId"]
    assert error_of(efs.create_access_point, ClientToken="ap", FileSystemId=fid,
                    RootDirectory={"Path": "/b"}) == ("AccessPointAlreadyExists", 409)
    efs.delete_file_system(FileSystemId=fid)  # EFS frees a file system's creation token with it
    assert efs.create_file_system(CreationToken="fs")["FileSystemId"] != fid


def test_eks_tokens_outlive_their_resources(emu, zero_account):
    eks = emu.client("eks", zero_account)
    role = f"arn:aws:iam::{zero_account}:role/eks"
    cluster = dict(name="c", version="1.35", roleArn=role, resourcesVpcConfig={"subnetIds": []})
    first = eks.create_cluster(clientRequestToken=TOKEN, **cluster)["cluster"]
    eks.create_fargate_profile(clusterName="c", fargateProfileName="f", podExecutionRoleArn=role,
                               selectors=[{"namespace": "a"}], clientRequestToken=TOKEN)
    eks.delete_fargate_profile(clusterName="c", fargateProfileName="f")
    assert error_of(eks.create_fargate_profile, clusterName="c", fargateProfileName="f", podExecutionRoleArn=role,
                    selectors=[{"namespace": "b"}], clientRequestToken=TOKEN) == ("InvalidParameterException", 400)
    eks.delete_cluster(name="c")
    assert eks.create_cluster(clientRequestToken=TOKEN, **cluster)["cluster"]["arn"] == first["arn"]
    assert error_of(eks.create_cluster, clientRequestToken=TOKEN, **{**cluster, "version": "1.34"}) == (
        "InvalidParameterException", 400)


def test_tokens_are_forgotten_after_the_ttl(emu, account):
    emu.set_profile(account, {"all": 0, "durations": {"idempotency_token_ttl": 1}})
    ec2, subnets = subnets_of(emu, account)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip, ClientToken="t")
    time.sleep(1.1)
    other = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=subnets[1], AllocationId=other, ClientToken="t")  # a new gateway


def test_all_zero_keeps_the_token_ttl(emu, account):
    import requests

    emu.set_profile(account, {"all": 0})
    durations = requests.get(f"{emu.endpoint}/_emulator/profile", params={"account": account},
                             timeout=10).json()["durations"]
    assert durations["idempotency_token_ttl"] == 86400 and durations["iam_propagation"] == 0
