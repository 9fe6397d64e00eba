"""Model validation: every request is checked against botocore's service model and refused
the way that AWS service refuses it (model_validation.py). Clients here skip botocore's own
client-side checks (`parameter_validation=False`), as the AWS SDK for Rust has none."""

from __future__ import annotations

import json

import boto3
import cbor2
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from shinyemu.model_validation import java_to_python

ROLE = "arn:aws:iam::123456789012:role/shiny"
BAD_TAG = "storage.efs_access_point[shared-data]"


def client(emu, service, account):
    cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False)
    cl = boto3.client(service, endpoint_url=emu.endpoint, region_name="us-east-1",
                      aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", config=cfg)
    cl.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", account))
    return cl


def refused(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"].get("Message", "")


def code_or_ok(call, **kwargs) -> str:
    try:
        call(**kwargs)
        return "ok"
    except ClientError as err:
        return err.response["Error"]["Code"]


# ---- one rule each -----------------------------------------------------------------------

def test_required_member_query(emu, account):
    iam = client(emu, "iam", account)
    code, status, msg = refused(iam.create_role, RoleName="r")
    assert (code, status) == ("ValidationError", 400)
    assert msg == ("1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to "
                   "satisfy constraint: Member must not be null")


def test_pattern_with_unicode_letters_query(emu, account):
    iam = client(emu, "iam", account)
    doc = json.dumps({"Version": "2012-10-17", "Statement": []})
    code, status, msg = refused(iam.create_role, RoleName="r", AssumeRolePolicyDocument=doc,
                                Tags=[{"Key": "ok", "Value": "fine"}, {"Key": "shinyctl.dev/address", "Value": BAD_TAG}])
    assert (code, status) == ("ValidationError", 400)
    assert (f"Value '{BAD_TAG}' at 'tags.2.member.value' failed to satisfy constraint: Member must "
            r"satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*") in msg
    # \p{L} is any letter, not only ASCII; \w is ASCII only (Java).
    assert code_or_ok(iam.create_role, RoleName="zurich", AssumeRolePolicyDocument=doc,
                      Tags=[{"Key": "Stadt", "Value": "Zürich Straße 1"}]) == "ok"
    assert refused(iam.create_role, RoleName="zürich", AssumeRolePolicyDocument=doc)[0] == "ValidationError"


def test_several_violations_are_counted(emu, account):
    iam = client(emu, "iam", account)
    code, _, msg = refused(iam.create_role, RoleName="x" * 65)
    assert code == "ValidationError"
    assert msg.startswith("2 validation errors detected: ")
    assert "at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64" in msg
    assert "Value null at 'assumeRolePolicyDocument'" in msg and "; " in msg


def test_enum_rest_json(emu, account):
    eks = client(emu, "eks", account)
    code, status, msg = refused(eks.create_nodegroup, clusterName="c", nodegroupName="n", subnets=["s"],
                                nodeRole=ROLE, amiType="AL1_BOGUS")
    assert (code, status) == ("InvalidParameterException", 400)
    assert "Value 'AL1_BOGUS' at 'amiType' failed to satisfy constraint: Member must satisfy enum value set: [" in msg


def test_numeric_range_in_nested_structure(emu, account):
    eks = client(emu, "eks", account)
    _, _, msg = refused(eks.create_nodegroup, clusterName="c", nodegroupName="n", subnets=["s"], nodeRole=ROLE,
                        scalingConfig={"minSize": -1, "maxSize": 2, "desiredSize": 1})
    assert ("Value '-1' at 'scalingConfig.minSize' failed to satisfy constraint: Member must have value "
            "greater than or equal to 0") in msg
    elb = client(emu, "elbv2", account)
    code, status, msg = refused(elb.create_target_group, Name="tg", HealthCheckIntervalSeconds=1)
    assert (code, status) == ("ValidationError", 400)
    assert "at 'healthCheckIntervalSeconds'" in msg and "greater than or equal to 5" in msg


def test_map_keys_and_values(emu, account):
    eks = client(emu, "eks", account)
    code, _, msg = refused(eks.create_cluster, name="c", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["s"]},
                           tags={"k" * 129: "v"})
    assert code == "InvalidParameterException"
    assert ("at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: "
            "[Member must have length less than or equal to 128]") in msg
    _, _, msg = refused(eks.create_cluster, name="c", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["s"]},
                        tags={"k": "v" * 257})
    assert "Map value must satisfy constraint: [Member must have length less than or equal to 256]" in msg


def test_list_length_json(emu, account):
    tagging = client(emu, "resourcegroupstaggingapi", account)
    arns = [f"arn:aws:sns:us-east-1:{account}:t{i}" for i in range(21)]
    code, status, msg = refused(tagging.tag_resources, ResourceARNList=arns, Tags={"a": "b"})
    assert (code, status) == ("InvalidParameterException", 400)
    assert "at 'resourceARNList' failed to satisfy constraint: Member must have length less than or equal to 20" in msg


def test_length_and_sensitive_value_json(emu, account):
    sm = client(emu, "secretsmanager", account)
    code, status, msg = refused(sm.create_secret, Name="n" * 513)
    assert (code, status) == ("ValidationException", 400)
    assert "at 'name' failed to satisfy constraint: Member must have length less than or equal to 512" in msg
    secret = "hunter2" * 10000
    _, _, msg = refused(sm.create_secret, Name="s", SecretString=secret)
    assert "Value '***' at 'secretString'" in msg and "hunter2" not in msg


def test_ec2_codes(emu, account):
    ec2 = client(emu, "ec2", account)
    code, status, msg = refused(ec2.create_subnet, CidrBlock="10.0.0.0/24")
    assert (code, status) == ("MissingParameter", 400)
    assert "Value null at 'vpcId'" in msg
    code, _, msg = refused(ec2.create_subnet, VpcId="vpc-1", CidrBlock="10.0.0.0/24",
                           TagSpecifications=[{"ResourceType": "no-such-type", "Tags": []}])
    assert code == "InvalidParameterValue"
    assert "'no-such-type' at 'tagSpecifications.1.member.resourceType'" in msg


def test_rest_xml_header_member(emu, account):
    s3 = client(emu, "s3", account)
    s3.create_bucket(Bucket=f"b-{account}")
    code, status, msg = refused(s3.put_object, Bucket=f"b-{account}", Key="k", Body=b"x", StorageClass="COLDEST")
    assert (code, status) == ("InvalidArgument", 400)
    assert "'COLDEST' at 'storageClass'" in msg
    assert code_or_ok(s3.put_object, Bucket=f"b-{account}", Key="k", Body=b"x", StorageClass="STANDARD") == "ok"


def test_cbor_cloudwatch(emu, account):
    body = cbor2.dumps({"AlarmName": "a" * 256, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold"})
    r = requests.post(f"{emu.endpoint}/service/GraniteServiceVersion20100801/operation/PutMetricAlarm", data=body,
                      headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
                               "Accept": "application/cbor", "x-moto-account-id": account,
                               "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/monitoring/"
                                                "aws4_request, SignedHeaders=host, Signature=0"})
    assert r.status_code == 400
    assert r.headers["x-amzn-query-error"] == "ValidationError;Sender"
    err = cbor2.loads(r.content)
    assert err["__type"] == "com.amazonaws.cloudwatch#ValidationException"
    assert "at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255" in err["message"]


def test_ecr_words_it_its_own_way(emu, account):
    ecr = client(emu, "ecr", account)
    code, status, msg = refused(ecr.create_repository, repositoryName="Shiny/App")
    assert (code, status) == ("InvalidParameterException", 400)
    assert msg.startswith("Invalid parameter at 'repositoryName' failed to satisfy constraint: "
                          "'must satisfy regular expression '")


def test_refusal_is_in_the_call_log(emu, account):
    iam = client(emu, "iam", account)
    refused(iam.create_role, RoleName="bad name")
    [call] = emu.calls(account, operation="CreateRole")
    assert (call["result"], call["status"], call["error_code"]) == ("error", 400, "ValidationError")


def test_switch_off_per_account(emu, account):
    url = f"{emu.endpoint}/_emulator/validation"
    assert requests.get(url, params={"account": account}, timeout=10).json()["enabled"] is True
    r = requests.put(url, params={"account": account}, data=json.dumps({"enabled": False}), timeout=10)
    assert r.json() == {"account": account, "enabled": False}
    sm = client(emu, "secretsmanager", account)
    assert code_or_ok(sm.create_secret, Name="n" * 513, SecretString="x") == "ok"  # moto takes it
    requests.put(url, params={"account": account}, data=json.dumps({"enabled": True}), timeout=10)
    assert refused(sm.create_secret, Name="n" * 514)[0] == "ValidationException"


def test_java_classes_are_ascii():
    assert java_to_python(r"[\w+=,.@-]+") == "[a-zA-Z0-9_+=,.@-]+"
    assert java_to_python(r"\d{12}") == "[0-9]{12}"
    assert java_to_python(r"[\w-\/]") == r"[a-zA-Z0-9_\-\/]"


# ---- a real request shape per service shinyctl calls: passes; mutated: refused -------------

DOC = json.dumps({"Version": "2012-10-17", "Statement": []})
CASES = [
    # (service, operation, valid kwargs, mutated kwargs, expected code)
    ("iam", "create_role", dict(RoleName="shiny-node", AssumeRolePolicyDocument=DOC,
                                Tags=[{"Key": "shinyctl.dev/address", "Value": "compute.node_group.main"}]),
     dict(RoleName="shiny node", AssumeRolePolicyDocument=DOC), "ValidationError"),
    ("sts", "assume_role", dict(RoleArn=ROLE, RoleSessionName="shinyctl"),
     dict(RoleArn=ROLE, RoleSessionName="shiny ctl"), "ValidationError"),
    ("ec2", "create_vpc", dict(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "shiny"}]}]),
     dict(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpcx", "Tags": []}]), "InvalidParameterValue"),
    ("rds", "create_db_subnet_group", dict(DBSubnetGroupName="shiny", DBSubnetGroupDescription="d",
                                           SubnetIds=["subnet-1"]),
     dict(DBSubnetGroupName="shiny", SubnetIds=["subnet-1"]), "ValidationError"),
    ("elasticache", "create_cache_subnet_group", dict(CacheSubnetGroupName="shiny", CacheSubnetGroupDescription="d",
                                                      SubnetIds=["subnet-1"]),
     dict(CacheSubnetGroupName="shiny", CacheSubnetGroupDescription="d"), "ValidationError"),
    ("elbv2", "create_target_group", dict(Name="shiny", Protocol="HTTP", Port=8080, VpcId="vpc-1", TargetType="ip"),
     dict(Name="shiny", Protocol="HTTP", Port=8080, VpcId="vpc-1", TargetType="pod"), "ValidationError"),
    ("sns", "create_topic", dict(Name="shiny", Tags=[{"Key": "a", "Value": "b"}]),
     dict(Name="shiny", Tags=[{"Key": "", "Value": "b"}]), "ValidationError"),
    ("cloudwatch", "put_metric_alarm", dict(AlarmName="shiny", EvaluationPeriods=1, Period=60, Threshold=1.0,
                                            ComparisonOperator="GreaterThanThreshold", MetricName="m",
                                            Namespace="n", Statistic="Average"),
     dict(AlarmName="shiny", EvaluationPeriods=1, ComparisonOperator="Bigger"), "ValidationError"),
    ("ecr", "create_repository", dict(repositoryName="shiny/app", imageTagMutability="MUTABLE"),
     dict(repositoryName="shiny/app", imageTagMutability="SOMETIMES"), "InvalidParameterException"),
    ("resourcegroupstaggingapi", "get_resources", dict(TagFilters=[{"Key": "shinyctl.dev/owner", "Values": ["x"]}]),
     dict(ResourcesPerPage=1000), "InvalidParameterException"),
    ("secretsmanager", "create_secret", dict(Name="shiny/db", SecretString="s"),
     dict(Name="shiny/db", SecretString=""), "ValidationException"),
    ("ssm", "put_parameter", dict(Name="/shiny/p", Value="v", Type="String"),
     dict(Name="/shiny/p", Value="v", Type="Text"), "ValidationException"),
    ("eks", "create_cluster", dict(name="shiny", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]}),
     dict(name="-shiny", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]}), "InvalidParameterException"),
    ("efs", "create_file_system", dict(CreationToken="shiny", PerformanceMode="generalPurpose"),
     dict(CreationToken="shiny", PerformanceMode="fast"), "BadRequest"),
    ("synthetics", "describe_canaries", dict(MaxResults=5), dict(MaxResults=0), "ValidationException"),
    ("lambda", "list_functions", dict(MaxItems=5), dict(MaxItems=0), "ValidationException"),
    ("s3", "list_objects_v2", dict(Bucket="shiny-missing"), dict(Bucket="shiny-missing", EncodingType="base64"),
     "InvalidArgument"),
]


@pytest.mark.parametrize("service,operation,valid,mutated,expected", CASES, ids=[c[0] for c in CASES])
def test_real_shapes_pass_and_mutations_are_refused(emu, account, service, operation, valid, mutated, expected):
    call = getattr(client(emu, service, account), operation)
    try:
        call(**valid)
    except ClientError as err:  # moto may still refuse it (no such VPC), but not the model
        assert "failed to satisfy constraint" not in err.response["Error"].get("Message", "")
    code, status, _ = refused(call, **mutated)
    assert (code, status) == (expected, 400)
