"""Faults, each in its service's protocol shape so SDKs classify them (throttle vs transient)."""

import time

import botocore.exceptions
import pytest
from botocore.exceptions import ClientError
from test_cloudwatch_cbor import cbor_call


@pytest.fixture
def no_backoff(monkeypatch):
    """botocore sleeps between retries; these tests only count the retries."""
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _s: None)


@pytest.fixture
def faults(emu):
    def set_rules(*rules, seed=1):
        emu.set_faults({"seed": seed, "rules": list(rules)})

    yield set_rules
    emu.set_faults({"rules": []})


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("service,call,kwargs,code,status", [
    ("ec2", "describe_vpcs", {}, "RequestLimitExceeded", 503),  # EC2 query XML
    ("rds", "describe_db_instances", {}, "Throttling", 400),  # query XML
    ("ecr", "describe_repositories", {}, "TooManyRequestsException", 429),  # JSON 1.1
    ("eks", "list_clusters", {}, "TooManyRequestsException", 429),  # rest-json
    ("s3", "list_buckets", {}, "SlowDown", 503),  # rest-xml
])
def test_throttling_codes_per_protocol(emu, account, faults, no_backoff, service, call, kwargs, code, status):
    faults({"kind": "throttle", "account": account, "service": service})
    client = emu.client(service, account)
    assert error_of(getattr(client, call), **kwargs) == (code, status)
    # botocore classifies it as throttling: with retries it backs off and retries.
    retrying = emu.client(service, account, attempts=3)
    with pytest.raises(ClientError) as err:
        getattr(retrying, call)(**kwargs)
    assert err.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    calls = emu.calls(account, service=service)
    assert len(calls) == 4 and all(c["fault"] == "throttle" and c["error_code"] == code for c in calls)


def test_throttling_over_cbor(emu, account, faults):
    faults({"kind": "throttle", "account": account, "service": "cloudwatch"})
    r, out = cbor_call(emu, account, "DescribeAlarms", {})
    assert r.status_code == 400
    assert out["__type"].endswith("#Throttling")
    assert r.headers["x-amzn-query-error"] == "Throttling;Sender"


def test_throttle_rate_and_count(emu, account, faults):
    faults({"kind": "throttle", "account": account, "service": "ec2", "operation": "Describe*", "count": 2})
    ec2 = emu.client("ec2", account)
    for _ in range(2):
        assert error_of(ec2.describe_vpcs)[0] == "RequestLimitExceeded"
    ec2.describe_vpcs()  # only the first two calls were throttled
    ec2.create_vpc(CidrBlock="10.0.0.0/16")  # operation glob: CreateVpc never matched


def test_ec2_token_buckets(emu, account, faults):
    faults({"kind": "token_bucket", "account": account, "preset": "ec2"})
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    # CreateNatGateway has its own bucket: 10 burst, 1 per second.
    results = []
    for i in range(12):
        try:
            ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private")
            results.append("ok")
        except ClientError as err:
            results.append(err.response["Error"]["Code"])
    assert results[:10] == ["ok"] * 10
    assert "RequestLimitExceeded" in results[10:]
    ec2.describe_vpcs()  # the describe bucket is separate and still full
    time.sleep(1.1)  # one token refills
    ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private")


def test_custom_token_bucket(emu, account, faults):
    faults({"kind": "token_bucket", "account": account, "service": "eks", "burst": 3, "refill_per_second": 0.01})
    eks = emu.client("eks", account)
    for _ in range(3):
        eks.list_clusters()
    assert error_of(eks.list_clusters) == ("TooManyRequestsException", 429)


@pytest.mark.parametrize("status,ec2_code,rds_code", [(500, "InternalError", "InternalFailure"),
                                                      (503, "Unavailable", "ServiceUnavailable")])
def test_transient_errors_are_retried(emu, account, faults, no_backoff, status, ec2_code, rds_code):
    faults({"kind": "error", "status": status, "account": account, "count": 2})
    assert error_of(emu.client("ec2", account).describe_vpcs) == (ec2_code, status)
    assert error_of(emu.client("rds", account).describe_db_instances) == (rds_code, status)
    faults({"kind": "error", "status": status, "account": account, "count": 2})
    retrying = emu.client("ec2", account, attempts=3)
    out = retrying.describe_vpcs()  # two transient failures, then success
    assert out["ResponseMetadata"]["RetryAttempts"] == 2


def test_dropped_connection(emu, account, faults):
    faults({"kind": "drop", "account": account, "service": "eks", "count": 1})
    eks = emu.client("eks", account)
    with pytest.raises((botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError)):
        eks.list_clusters()
    assert eks.list_clusters()["clusters"] == []
    assert [c["fault"] for c in emu.calls(account)] == ["drop", None]


def test_lost_answer_carries_the_call_out_then_drops_the_connection(emu, account, faults):
    faults({"kind": "lost_answer", "account": account, "service": "sns", "count": 1})
    sns = emu.client("sns", account)
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        sns.create_topic(Name="lost")
    # The call took effect: the topic is there although its answer never came.
    assert [t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]] == ["lost"]
    calls = emu.calls(account)
    assert [(c["operation"], c["fault"]) for c in calls] == [
        ("CreateTopic", "lost_answer"), ("ListTopics", None)]


def test_slow_responses(emu, account, faults):
    faults({"kind": "slow", "account": account, "delay_seconds": 0.3, "count": 1})
    assert emu.client("sts", account).get_caller_identity()["Account"] == account
    assert emu.calls(account)[0]["fault"] == "slow"


def test_eventual_consistency(emu, zero_account, faults):
    account = zero_account
    faults({"kind": "eventual_consistency", "account": account, "seconds": 0.8})
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    assert error_of(ec2.describe_vpcs, VpcIds=[vpc]) == ("InvalidVpcID.NotFound", 400)
    eks = emu.client("eks", account)
    eks.create_cluster(name="ec", roleArn=f"arn:aws:iam::{account}:role/r", resourcesVpcConfig={"subnetIds": []})
    assert error_of(eks.describe_cluster, name="ec") == ("ResourceNotFoundException", 404)
    rds = emu.client("rds", account)
    rds.create_db_instance(DBInstanceIdentifier="ecdb", DBInstanceClass="db.t3.micro", Engine="mysql",
                           MasterUsername="a", MasterUserPassword="password123", AllocatedStorage=20)
    assert error_of(rds.describe_db_instances, DBInstanceIdentifier="ecdb") == ("DBInstanceNotFound", 404)
    time.sleep(0.9)
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["VpcId"] == vpc
    assert eks.describe_cluster(name="ec")["cluster"]["name"] == "ec"
    assert emu.calls(account, operation="DescribeVpcs")[0]["fault"] == "eventual_consistency"


def test_faults_file_validation(emu):
    import requests

    r = requests.put(f"{emu.endpoint}/_emulator/faults", data='{"rules": [{"kind": "nope"}]}', timeout=5)
    assert r.status_code == 400
