"""The server itself: endpoint, account isolation, the call log."""

import requests


def test_health(emu):
    assert emu.endpoint.startswith("http://127.0.0.1:")
    assert requests.get(f"{emu.endpoint}/_emulator/health", timeout=5).json() == {"status": "ok"}


def test_gc_collects_then_freezes_and_state_lives_on(emu, account):
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    answer = requests.post(f"{emu.endpoint}/_emulator/gc", timeout=60).json()
    assert answer["frozen"] > 0 and answer["collected"] >= 0 and answer["seconds"] >= 0
    # Frozen objects are kept, not lost: the account's state is all there.
    assert vpc in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    ec2.delete_vpc(VpcId=vpc)
    assert vpc not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]


def test_accounts_are_isolated(emu, account):
    other = f"{int(account) + 1:012d}"
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    assert vpc in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    other_vpcs = [v["VpcId"] for v in emu.client("ec2", other).describe_vpcs()["Vpcs"]]
    assert vpc not in other_vpcs
    sts = emu.client("sts", account).get_caller_identity()
    assert sts["Account"] == account


def test_call_log_records_every_call(emu, account):
    ec2 = emu.client("ec2", account)
    ec2.describe_vpcs()
    ec2.create_vpc(CidrBlock="10.2.0.0/16")
    eks = emu.client("eks", account)
    try:
        eks.describe_cluster(name="nope")
    except eks.exceptions.ResourceNotFoundException:
        pass
    calls = emu.calls(account)
    assert [(c["service"], c["operation"]) for c in calls] == [
        ("ec2", "DescribeVpcs"), ("ec2", "CreateVpc"), ("eks", "DescribeCluster")]
    assert all(c["account"] == account and c["region"] == "us-east-1" for c in calls)
    assert [c["result"] for c in calls] == ["ok", "ok", "error"]
    assert calls[2]["status"] == 404 and calls[2]["error_code"] == "ResourceNotFoundException"
    assert calls[0]["time"] <= calls[1]["time"] <= calls[2]["time"]
    assert len(emu.calls(account, service="ec2", operation="CreateVpc")) == 1


def test_call_log_clear_per_account(emu, account):
    other = f"{int(account) + 1:012d}"
    emu.client("ec2", account).describe_vpcs()
    emu.client("ec2", other).describe_vpcs()
    r = requests.delete(f"{emu.endpoint}/_emulator/calls", params={"account": account}, timeout=5)
    assert r.json()["cleared"] == 1
    assert emu.calls(account) == []
    assert len(emu.calls(other)) == 1


def test_rest_operations_are_named(emu, account):
    efs = emu.client("efs", account)
    efs.describe_file_systems()
    s3 = emu.client("s3", account)
    s3.create_bucket(Bucket=f"b-{account}")
    s3.list_objects_v2(Bucket=f"b-{account}")
    ops = [c["operation"] for c in emu.calls(account)]
    assert ops == ["DescribeFileSystems", "CreateBucket", "ListObjectsV2"]


def test_operations_on_the_same_path_are_told_apart(emu, account):
    # Same method and path: a header (CopyObject) or a required query member (uploadId) decides.
    s3 = emu.client("s3", account)
    bucket = f"p-{account}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="b", CopySource={"Bucket": bucket, "Key": "a"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="c")["UploadId"]
    s3.abort_multipart_upload(Bucket=bucket, Key="c", UploadId=upload)
    s3.delete_object(Bucket=bucket, Key="a")
    ops = [c["operation"] for c in emu.calls(account)]
    assert ops == ["CreateBucket", "PutObject", "CopyObject", "CreateMultipartUpload",
                   "AbortMultipartUpload", "DeleteObject"]


def test_unknown_admin_endpoint_is_404(emu):
    assert requests.get(f"{emu.endpoint}/_emulator/nope", timeout=5).status_code == 404


def test_launcher_with_profile_and_faults_files(tmp_path):
    """`python -m shinyemu --profile F --faults F`: first stdout line is the endpoint, files apply."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from botocore.exceptions import ClientError
    from conftest import EMULATOR_DIR, Emu

    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"rules": [{"kind": "throttle", "service": "eks", "count": 1}]}))
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_DIR))
    proc = subprocess.Popen([sys.executable, "-m", "shinyemu", "--profile",
                             str(Path(EMULATOR_DIR) / "profiles" / "zero.json"), "--faults", str(faults)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("endpoint: http://127.0.0.1:")
        emu = Emu(first.split(" ", 1)[1])
        eks = emu.client("eks", "123456789012")
        try:
            eks.list_clusters()
            raise AssertionError("the faults file was not applied")
        except ClientError as err:
            assert err.response["Error"]["Code"] == "TooManyRequestsException"
        c = eks.create_cluster(name="z", roleArn="arn:aws:iam::123456789012:role/r",
                               resourcesVpcConfig={"subnetIds": []})
        assert c["cluster"]["status"] == "ACTIVE"  # the zero profile
    finally:
        proc.terminate()
        assert proc.wait(10) == 0  # SIGTERM: a clean stop
