"""CloudWatch over rpcv2-CBOR, requests crafted exactly as aws-sdk-cloudwatch (Rust) sends them."""

import datetime as dt

import cbor2
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "GraniteServiceVersion20100801"


def cbor_call(emu, account, op, payload, region="us-east-1"):
    url = f"{emu.endpoint}/service/{SERVICE}/operation/{op}"
    body = cbor2.dumps(payload)
    req = AWSRequest(method="POST", url=url, data=body, headers={
        "smithy-protocol": "rpc-v2-cbor",
        "Content-Type": "application/cbor",
        "Accept": "application/cbor",
        "x-moto-account-id": account,
    })
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "monitoring", region).add_auth(req)
    r = requests.post(url, data=body, headers=dict(req.headers), timeout=10)
    return r, (cbor2.loads(r.content) if r.content else None)


ALARM = {
    "AlarmName": "shiny-5xx",
    "MetricName": "HTTPCode_Target_5XX_Count",
    "Namespace": "AWS/ApplicationELB",
    "Statistic": "Sum",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 5.0,
    "ComparisonOperator": "GreaterThanThreshold",
    "Dimensions": [{"Name": "LoadBalancer", "Value": "app/shiny/123"}],
    "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:alerts"],
    "Tags": [{"Key": "app", "Value": "shiny"}],
}


def test_put_describe_delete_alarm_over_cbor(emu, account):
    r, out = cbor_call(emu, account, "PutMetricAlarm", ALARM)
    assert r.status_code == 200, r.content
    assert r.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert r.headers["Content-Type"] == "application/cbor"
    assert out == {}

    r, out = cbor_call(emu, account, "DescribeAlarms", {"AlarmNames": ["shiny-5xx"]})
    assert r.status_code == 200
    alarm = out["MetricAlarms"][0]
    assert alarm["AlarmName"] == "shiny-5xx"
    assert alarm["Threshold"] == 5.0 and isinstance(alarm["Threshold"], float)
    assert alarm["Dimensions"] == [{"Name": "LoadBalancer", "Value": "app/shiny/123"}]
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{account}:alarm:shiny-5xx"
    # Timestamps travel as CBOR tag 1 (epoch seconds); cbor2 decodes them to datetimes.
    key = cbor2.dumps("AlarmConfigurationUpdatedTimestamp")
    assert key + b"\xc1" in r.content  # the value starts with tag 1 (0xc1)
    assert isinstance(alarm["StateUpdatedTimestamp"], dt.datetime)

    arn = alarm["AlarmArn"]
    r, out = cbor_call(emu, account, "ListTagsForResource", {"ResourceARN": arn})
    assert out["Tags"] == [{"Key": "app", "Value": "shiny"}]
    r, _ = cbor_call(emu, account, "TagResource", {"ResourceARN": arn, "Tags": [{"Key": "team", "Value": "data"}]})
    assert r.status_code == 200
    r, _ = cbor_call(emu, account, "UntagResource", {"ResourceARN": arn, "TagKeys": ["app"]})
    assert r.status_code == 200
    r, out = cbor_call(emu, account, "ListTagsForResource", {"ResourceARN": arn})
    assert out["Tags"] == [{"Key": "team", "Value": "data"}]

    r, _ = cbor_call(emu, account, "DeleteAlarms", {"AlarmNames": ["shiny-5xx"]})
    assert r.status_code == 200
    r, out = cbor_call(emu, account, "DescribeAlarms", {"AlarmNames": ["shiny-5xx"]})
    assert out["MetricAlarms"] == []
    ops = [c["operation"] for c in emu.calls(account)]
    assert ops[:3] == ["PutMetricAlarm", "DescribeAlarms", "ListTagsForResource"]


def test_cbor_error_shape(emu, account):
    r, out = cbor_call(emu, account, "SetAlarmState",
                       {"AlarmName": "missing", "StateValue": "OK", "StateReason": "test"})
    assert r.status_code == 404
    assert out["__type"] == "com.amazonaws.cloudwatch#ResourceNotFound"
    assert out["message"]
    assert r.headers["x-amzn-query-error"].startswith("ResourceNotFound")
    assert r.headers["smithy-protocol"] == "rpc-v2-cbor"


def test_cbor_in_china_uses_aws_cn_arns(emu, account):
    r, _ = cbor_call(emu, account, "PutMetricAlarm", {**ALARM, "AlarmActions": []}, region="cn-north-1")
    assert r.status_code == 200
    _, out = cbor_call(emu, account, "DescribeAlarms", {}, region="cn-north-1")
    assert out["MetricAlarms"][0]["AlarmArn"].startswith("arn:aws-cn:cloudwatch:cn-north-1:")


def test_boto3_json_cloudwatch_still_works(emu, account):
    cw = emu.client("cloudwatch", account)
    cw.put_metric_alarm(**{k: v for k, v in ALARM.items() if k != "AlarmActions"})
    alarms = cw.describe_alarms(AlarmNames=["shiny-5xx"])["MetricAlarms"]
    assert alarms[0]["Threshold"] == 5.0
    cw.delete_alarms(AlarmNames=["shiny-5xx"])
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_operation_moto_lacks_is_a_clear_error(emu, account):
    r, out = cbor_call(emu, account, "DescribeAlarmHistory", {"AlarmName": "x"})
    assert r.status_code == 501
    assert out["__type"].endswith("#NotImplemented")
