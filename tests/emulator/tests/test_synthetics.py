"""Synthetics: epoch timestamps, the canary lifecycle, and the Lambda it leaves behind."""

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for


def canary_args(name, account):
    return dict(
        Name=name,
        Code={"Handler": "index.handler", "ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        ArtifactS3Location=f"s3://artifacts-{account}/canary",
        ExecutionRoleArn=f"arn:aws:iam::{account}:role/canary",
        Schedule={"Expression": "rate(5 minutes)"},
        RuntimeVersion="syn-nodejs-puppeteer-9.1",
        Tags={"app": "shiny"},
    )


def state(syn, name):
    return syn.get_canary(Name=name)["Canary"]["Status"]["State"]


def test_canary_lifecycle_and_epoch_timestamps(emu, account):
    syn = emu.client("synthetics", account)
    created = syn.create_canary(**canary_args("login-check", account))["Canary"]
    assert created["Status"]["State"] == "CREATING"
    assert isinstance(created["Timeline"]["Created"], dt.datetime)  # parsed from an epoch number
    assert wait_for(lambda: state(syn, "login-check"), "READY") == ["CREATING", "READY"]

    syn.start_canary(Name="login-check")
    assert wait_for(lambda: state(syn, "login-check"), "RUNNING") == ["STARTING", "RUNNING"]
    with pytest.raises(ClientError) as err:
        syn.delete_canary(Name="login-check")
    assert err.value.response["Error"]["Code"] == "ConflictException"

    syn.update_canary(Name="login-check", Schedule={"Expression": "rate(10 minutes)"})
    canary = syn.get_canary(Name="login-check")["Canary"]
    assert canary["Schedule"]["Expression"] == "rate(10 minutes)"
    assert canary["Timeline"]["LastModified"] >= canary["Timeline"]["Created"]

    syn.stop_canary(Name="login-check")
    assert wait_for(lambda: state(syn, "login-check"), "STOPPED") == ["STOPPING", "STOPPED"]
    assert "LastStopped" in syn.get_canary(Name="login-check")["Canary"]["Timeline"]
    syn.delete_canary(Name="login-check")
    with pytest.raises(ClientError) as err:
        syn.get_canary(Name="login-check")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_raw_timeline_is_epoch_numbers(emu, account):
    syn = emu.client("synthetics", account)
    syn.create_canary(**canary_args("raw", account))
    # The Rust SDK parses Timeline.* as epoch-seconds numbers (rest-json timestamps).
    seen = {}

    def keep(http_response, **_):
        seen["body"] = http_response.content

    syn.meta.events.register("after-call.synthetics.GetCanary", keep)
    syn.get_canary(Name="raw")
    timeline = json.loads(seen["body"])["Canary"]["Timeline"]
    assert isinstance(timeline["Created"], (int, float))
    assert isinstance(timeline["LastModified"], (int, float))


def test_delete_leaves_lambda_function_and_layer_behind(emu, zero_account):
    account = zero_account
    syn = emu.client("synthetics", account)
    canary = syn.create_canary(**canary_args("leftover", account))["Canary"]
    lam = emu.client("lambda", account)
    fn_names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert len(fn_names) == 1 and fn_names[0].startswith("cwsyn-leftover-")
    assert canary["EngineArn"].startswith(f"arn:aws:lambda:us-east-1:{account}:function:cwsyn-leftover-")
    layers = [layer["LayerName"] for layer in lam.list_layers()["Layers"]]
    assert layers == fn_names
    syn.delete_canary(Name="leftover")
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == fn_names
    assert [layer["LayerName"] for layer in lam.list_layers()["Layers"]] == layers

    syn.create_canary(**canary_args("cleaned", account))
    syn.delete_canary(Name="cleaned", DeleteLambda=True)
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == fn_names


def test_start_while_creating_conflicts(emu, account):
    syn = emu.client("synthetics", account)
    syn.create_canary(**canary_args("early", account))
    with pytest.raises(ClientError) as err:
        syn.start_canary(Name="early")
    assert err.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as err:
        syn.stop_canary(Name="early")
    assert err.value.response["Error"]["Code"] == "ConflictException"


def test_canary_tags_and_china_arns(emu, zero_account):
    syn = emu.client("synthetics", zero_account, region="cn-northwest-1")
    syn.create_canary(**canary_args("cn", zero_account))
    canaries = syn.describe_canaries()["Canaries"]
    assert canaries[0]["EngineArn"].startswith("arn:aws-cn:lambda:cn-northwest-1:")
    arn = f"arn:aws-cn:synthetics:cn-northwest-1:{zero_account}:canary:cn"
    syn.tag_resource(ResourceArn=arn, Tags={"team": "data"})
    assert syn.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"app": "shiny", "team": "data"}
    syn.untag_resource(ResourceArn=arn, TagKeys=["app"])
    assert syn.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "data"}
