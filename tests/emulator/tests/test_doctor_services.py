"""Service Quotas and IAM SimulatePrincipalPolicy, as shinyctl's `doctor` asks them."""

import json

import pytest
import requests
from botocore.exceptions import ClientError


def set_quotas(emu, account, values):
    r = requests.put(f"{emu.endpoint}/_emulator/quotas", params={"account": account},
                     data=json.dumps(values), timeout=10)
    return r


def test_quotas_default_and_applied(emu, account):
    sq = emu.client("service-quotas", account)
    vpc = sq.get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]
    assert (vpc["QuotaName"], vpc["Value"], vpc["Adjustable"]) == ("VPCs per Region", 5.0, True)
    assert vpc["QuotaArn"] == f"arn:aws:servicequotas:us-east-1:{account}:vpc/L-F678F1CE"
    assert set_quotas(emu, account, {"vpc/L-F678F1CE": 1}).status_code == 200
    assert sq.get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]["Value"] == 1.0
    default = sq.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]
    assert default["Value"] == 5.0 and default["QuotaArn"].endswith("::vpc/L-F678F1CE")
    codes = [q["QuotaCode"] for q in sq.list_service_quotas(ServiceCode="eks")["Quotas"]]
    assert codes == ["L-1194D53C", "L-6D54EA21"]
    # Another account keeps AWS's default.
    other = emu.client("service-quotas", f"{int(account) + 1:012d}")
    assert other.get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]["Value"] == 5.0


def test_unknown_quotas_are_refused(emu, account):
    sq = emu.client("service-quotas", account)
    with pytest.raises(ClientError) as err:
        sq.get_service_quota(ServiceCode="vpc", QuotaCode="L-00000000")
    assert err.value.response["Error"]["Code"] == "NoSuchResourceException"
    assert set_quotas(emu, account, {"vpc/L-00000000": 1}).status_code == 400


def test_quota_answers_follow_the_partition(emu, account):
    sq = emu.client("service-quotas", account, region="cn-north-1")
    arn = sq.get_service_quota(ServiceCode="eks", QuotaCode="L-1194D53C")["Quota"]["QuotaArn"]
    assert arn.startswith("arn:aws-cn:servicequotas:cn-north-1:")


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["ec2:*", "eks:Describe*", "rds:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "rds:CreateDBInstance", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}}},
    ],
}


def test_simulate_principal_policy(emu, account):
    iam = emu.client("iam", account)
    iam.create_user(UserName="deployer")
    iam.put_user_policy(UserName="deployer", PolicyName="p", PolicyDocument=json.dumps(POLICY))
    iam.create_group(GroupName="ops")
    arn = iam.create_policy(PolicyName="ecr", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:CreateRepository",
                                                  "Resource": "arn:aws:ecr:*:*:repository/app-*"}]}))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="ops", PolicyArn=arn)
    iam.add_user_to_group(GroupName="ops", UserName="deployer")
    user = f"arn:aws:iam::{account}:user/deployer"
    actions = ["ec2:CreateVpc", "EKS:DescribeCluster", "eks:CreateCluster", "rds:CreateDBInstance",
               "iam:PassRole"]
    results = iam.simulate_principal_policy(PolicySourceArn=user, ActionNames=actions)["EvaluationResults"]
    assert [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in results] == [
        ("ec2:CreateVpc", "*", "allowed"), ("EKS:DescribeCluster", "*", "allowed"),
        ("eks:CreateCluster", "*", "implicitDeny"), ("rds:CreateDBInstance", "*", "explicitDeny"),
        ("iam:PassRole", "*", "implicitDeny")]
    # The group's attached policy, only for the resources it names.
    ecr = iam.simulate_principal_policy(
        PolicySourceArn=user, ActionNames=["ecr:CreateRepository"],
        ResourceArns=["arn:aws:ecr:us-east-1:1:repository/app-x", "arn:aws:ecr:us-east-1:1:repository/db"],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in ecr] == ["allowed", "implicitDeny"]


def test_simulate_pages_and_refusals(emu, account):
    iam = emu.client("iam", account)
    iam.create_role(RoleName="ci", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.put_role_policy(RoleName="ci", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}))
    role = f"arn:aws:iam::{account}:role/ci"
    first = iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["s3:GetObject", "iam:GetRole"],
                                          MaxItems=1)
    assert first["IsTruncated"] and first["EvaluationResults"][0]["EvalDecision"] == "allowed"
    second = iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["s3:GetObject", "iam:GetRole"],
                                           Marker=first["Marker"])
    assert not second["IsTruncated"] and second["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    with pytest.raises(ClientError) as err:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{account}:user/nobody", ActionNames=["s3:GetObject"])
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as err:
        iam.simulate_principal_policy(PolicySourceArn="arn:aws:s3:::a-bucket-not-a-principal", ActionNames=["s3:GetObject"])
    assert err.value.response["Error"]["Code"] == "InvalidInput"
