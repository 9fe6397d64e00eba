"""A role or instance profile changed moments ago cannot be used yet (profile key iam_propagation)."""

import json
import time

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
WINDOW = 3.0  # long enough for a loaded machine to make the next call inside it


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


@pytest.fixture
def propagating(emu, account):
    """An account whose roles take WINDOW seconds to propagate (everything else is ready at once)."""
    emu.set_profile(account, {"all": 0, "durations": {"iam_propagation": WINDOW, "idempotency_token_ttl": 86400}})
    return account


def role(emu, account, name):
    return emu.client("iam", account).create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


def test_eks_refuses_a_fresh_role_then_accepts_it(emu, propagating):
    eks = emu.client("eks", propagating)
    arn = role(emu, propagating, "eks")
    create = dict(name="c", version="1.35", roleArn=arn, resourcesVpcConfig={"subnetIds": []})
    assert error_of(eks.create_cluster, **create) == (
        "InvalidParameterException",
        f"Role with arn: {arn} could not be assumed because it does not exist or the trusted entity is not correct")
    time.sleep(WINDOW)
    eks.create_cluster(**create)
    # A change to the role starts the window again.
    emu.client("iam", propagating).put_role_policy(RoleName="eks", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    assert error_of(eks.create_fargate_profile, clusterName="c", fargateProfileName="f", podExecutionRoleArn=arn,
                    selectors=[{"namespace": "default"}]) == (
        "InvalidParameterException",
        "Misconfigured PodExecutionRole Trust Policy; Please add the eks-fargate-pods.amazonaws.com Service Principal")
    assert error_of(eks.create_nodegroup, clusterName="c", nodegroupName="n", nodeRole=arn,
                    subnets=["subnet-12345678"])[0] == "InvalidParameterException"
    assert error_of(eks.create_addon, clusterName="c", addonName="aws-efs-csi-driver",
                    serviceAccountRoleArn=arn)[0] == "InvalidParameterException"


def test_lambda_and_instance_profiles(emu, propagating):
    lam, iam, ec2 = (emu.client(s, propagating) for s in ("lambda", "iam", "ec2"))
    arn = role(emu, propagating, "fn")
    assert error_of(lam.create_function, FunctionName="f", Runtime="python3.12", Role=arn, Handler="x.h",
                    Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}) == (
        "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")
    iam.create_instance_profile(InstanceProfileName="ip")
    assert error_of(ec2.run_instances, ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                    IamInstanceProfile={"Name": "ip"}) == (
        "InvalidParameterValue",
        "Value (ip) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")


def test_a_canary_made_with_a_fresh_role_fails_and_can_be_made_again(emu, propagating):
    syn = emu.client("synthetics", propagating)
    arn = role(emu, propagating, "canary")
    create = dict(Name="c", Code={"Handler": "index.handler", "ZipFile": b"x"}, ArtifactS3Location="s3://b/p",
                  ExecutionRoleArn=arn, Schedule={"Expression": "rate(5 minutes)"},
                  RuntimeVersion="syn-nodejs-puppeteer-9.1")
    syn.create_canary(**create)
    status = syn.get_canary(Name="c")["Canary"]["Status"]
    assert status["State"] == "ERROR" and status["StateReasonCode"] == "CREATE_FAILED"
    assert "cannot be assumed by Lambda" in status["StateReason"]
    syn.delete_canary(Name="c")
    time.sleep(WINDOW)
    syn.create_canary(**create)
    state = lambda: syn.get_canary(Name="c")["Canary"]["Status"]["State"]  # noqa: E731
    assert wait_for(state, "READY")[-1] == "READY"


def test_zero_profile_has_no_propagation(emu, zero_account):
    arn = role(emu, zero_account, "eks")
    emu.client("eks", zero_account).create_cluster(name="c", version="1.35", roleArn=arn,
                                                   resourcesVpcConfig={"subnetIds": []})
