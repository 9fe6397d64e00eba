"""Versions AWS offers (data/versions.json, taken 2026-12-05) and creates with others refused."""

import datetime

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::{}:role/eks"


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def day(ts):
    return ts.astimezone(datetime.timezone.utc).date().isoformat()


def test_eks_cluster_versions(emu, zero_account):
    eks = emu.client("eks", zero_account)
    versions = eks.describe_cluster_versions()["clusterVersions"]
    assert [(v["clusterVersion"], v["versionStatus"]) for v in versions] == [
        ("1.35", "STANDARD_SUPPORT"), ("1.34", "EXTENDED_SUPPORT"), ("1.33", "EXTENDED_SUPPORT"),
        ("1.32", "EXTENDED_SUPPORT")]
    v134 = versions[1]
    assert (day(v134["endOfStandardSupportDate"]), day(v134["endOfExtendedSupportDate"])) == ("2026-12-02", "2027-12-02")
    assert v134["status"] == "extended-support" and not v134["defaultVersion"] and versions[0]["defaultVersion"]
    only = eks.describe_cluster_versions(versionStatus="STANDARD_SUPPORT")["clusterVersions"]
    assert [v["clusterVersion"] for v in only] == ["1.35"]
    every = eks.describe_cluster_versions(includeAll=True)["clusterVersions"]
    v131 = next(v for v in every if v["clusterVersion"] == "1.31")
    assert v131["versionStatus"] == "UNSUPPORTED" and day(v131["endOfExtendedSupportDate"]) == "2026-11-26"
    picked = eks.describe_cluster_versions(clusterVersions=["1.33", "1.32"])["clusterVersions"]
    assert [v["clusterVersion"] for v in picked] == ["1.33", "1.32"]
    assert [v["clusterVersion"] for v in eks.describe_cluster_versions(defaultOnly=True)["clusterVersions"]] == ["1.35"]


def test_eks_refuses_a_version_it_no_longer_offers(emu, zero_account):
    eks = emu.client("eks", zero_account)
    assert error_of(eks.create_cluster, name="old", version="1.31", roleArn=ROLE.format(zero_account),
                    resourcesVpcConfig={"subnetIds": []}) == (
        "InvalidParameterException", "unsupported Kubernetes version 1.31")
    eks.create_cluster(name="new", roleArn=ROLE.format(zero_account), resourcesVpcConfig={"subnetIds": []})
    assert eks.describe_cluster(name="new")["cluster"]["version"] == "1.35"
    assert error_of(eks.update_cluster_version, name="new", version="1.36") == (
        "InvalidParameterException", "unsupported Kubernetes version 1.36")


def test_rds_engine_versions(emu, zero_account):
    rds = emu.client("rds", zero_account)
    mysql = rds.describe_db_engine_versions(Engine="mysql")["DBEngineVersions"]
    assert {v["EngineVersion"] for v in mysql} >= {"8.4.7", "8.0.43"}
    assert {v["DBParameterGroupFamily"] for v in mysql} == {"mysql8.4", "mysql8.0"}
    only_80 = rds.describe_db_engine_versions(Engine="mysql", EngineVersion="8.0")["DBEngineVersions"]
    assert only_80 and all(v["EngineVersion"].startswith("8.0.") for v in only_80)
    default = rds.describe_db_engine_versions(Engine="mysql", DefaultOnly=True)["DBEngineVersions"]
    assert [v["EngineVersion"] for v in default] == ["8.4.7"]
    pg = rds.describe_db_engine_versions(Engine="aurora-postgresql", DBParameterGroupFamily="aurora-postgresql16")
    assert {v["EngineVersion"] for v in pg["DBEngineVersions"]} == {"16.6", "16.8", "16.9"}

    assert error_of(rds.create_db_instance, DBInstanceIdentifier="db", Engine="mysql", EngineVersion="8.0.11",
                    DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
                    MasterUserPassword="secret-password") == (
        "InvalidParameterCombination", "Cannot find version 8.0.11 for mysql")
    db = rds.create_db_instance(DBInstanceIdentifier="db", Engine="mysql", EngineVersion="8.4",
                                DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
                                MasterUserPassword="secret-password")["DBInstance"]
    assert db["EngineVersion"] == "8.4.7"
    assert error_of(rds.create_db_cluster, DBClusterIdentifier="a", Engine="aurora-postgresql",
                    EngineVersion="11.9", MasterUsername="admin", MasterUserPassword="secret-password")[0] == \
        "InvalidParameterCombination"


def test_elasticache_engine_versions(emu, zero_account):
    ec = emu.client("elasticache", zero_account)
    redis = ec.describe_cache_engine_versions(Engine="redis")["CacheEngineVersions"]
    assert "7.1.0" in [v["EngineVersion"] for v in redis]
    assert {v["Engine"] for v in ec.describe_cache_engine_versions()["CacheEngineVersions"]} == {"redis", "valkey"}
    fam = ec.describe_cache_engine_versions(Engine="redis", CacheParameterGroupFamily="redis7")["CacheEngineVersions"]
    assert {v["EngineVersion"] for v in fam} == {"7.1.0", "7.0.7"}
    assert error_of(ec.create_replication_group, ReplicationGroupId="r", ReplicationGroupDescription="r",
                    Engine="redis", EngineVersion="7.3", CacheNodeType="cache.t3.micro") == (
        "InvalidParameterCombination", "Cannot find version 7.3 for redis")
    ec.create_replication_group(ReplicationGroupId="r", ReplicationGroupDescription="r", Engine="redis",
                                EngineVersion="7.1", CacheNodeType="cache.t3.micro")


def test_synthetics_runtime_versions(emu, zero_account):
    syn = emu.client("synthetics", zero_account)
    runtimes = {r["VersionName"]: r for r in syn.describe_runtime_versions()["RuntimeVersions"]}
    assert "DeprecationDate" not in runtimes["syn-nodejs-puppeteer-9.1"]
    assert day(runtimes["syn-nodejs-puppeteer-7.0"]["DeprecationDate"]) == "2026-01-22"
    code, message = error_of(
        syn.create_canary, Name="old", Code={"Handler": "index.handler", "ZipFile": b"x"},
        ArtifactS3Location="s3://b/p", ExecutionRoleArn=f"arn:aws:iam::{zero_account}:role/c",
        Schedule={"Expression": "rate(5 minutes)"}, RuntimeVersion="syn-nodejs-puppeteer-7.0")
    assert code == "ValidationException" and "deprecated" in message
