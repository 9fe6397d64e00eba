"""ElastiCache member clusters with their full engine version, and the minor_upgrade fault."""

import pytest


@pytest.fixture
def faults(emu):
    yield lambda *rules: emu.set_faults({"seed": 1, "rules": list(rules)})
    emu.set_faults({"rules": []})


def test_member_clusters_are_listed_with_the_full_version(emu, zero_account):
    ec = emu.client("elasticache", zero_account)
    ec.create_replication_group(ReplicationGroupId="r", ReplicationGroupDescription="r", Engine="redis",
                                EngineVersion="7.1", CacheNodeType="cache.t3.micro", ClusterMode="enabled", NumNodeGroups=2,
                                ReplicasPerNodeGroup=1)
    clusters = ec.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]
    assert sorted(c["CacheClusterId"] for c in clusters) == ["r-0001-001", "r-0001-002", "r-0002-001", "r-0002-002"]
    one = clusters[0]
    assert one["EngineVersion"] == "7.1.0" and one["ReplicationGroupId"] == "r" and one["Engine"] == "redis"
    assert one["CacheNodes"][0]["CacheNodeId"] == "0001" and one["CacheNodes"][0]["Endpoint"]["Port"] == 6379
    assert one["ARN"] == f"arn:aws:elasticache:us-east-1:{zero_account}:cluster:{one['CacheClusterId']}"
    only = ec.describe_cache_clusters(CacheClusterId="r-0002-002")["CacheClusters"]
    assert [c["CacheClusterId"] for c in only] == ["r-0002-002"] and "CacheNodes" not in only[0]
    assert ec.describe_cache_clusters(ShowCacheClustersNotInReplicationGroups=True)["CacheClusters"] == []


def test_minor_upgrade_fault(emu, zero_account, faults):
    ec = emu.client("elasticache", zero_account)
    ec.create_replication_group(ReplicationGroupId="r", ReplicationGroupDescription="r", Engine="redis",
                                EngineVersion="7.0", CacheNodeType="cache.t3.micro")
    rds = emu.client("rds", zero_account)
    rds.create_db_instance(DBInstanceIdentifier="db", Engine="mysql", EngineVersion="8.4.5",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
                           MasterUserPassword="secret-password")
    faults({"kind": "minor_upgrade", "account": zero_account, "service": "rds", "operation": "DescribeDBInstances",
            "resource": "db", "count": 1},
           {"kind": "minor_upgrade", "account": zero_account, "service": "elasticache",
            "operation": "DescribeCacheClusters", "count": 1})
    assert rds.describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]["EngineVersion"] == "8.4.6"
    assert rds.describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]["EngineVersion"] == "8.4.6"
    versions = {c["EngineVersion"] for c in ec.describe_cache_clusters()["CacheClusters"]}
    assert versions == {"7.1.0"}
    calls = emu.calls(zero_account, operation="DescribeDBInstances")
    assert calls[0]["status"] == 200


def test_minor_upgrade_of_an_aurora_cluster(emu, zero_account, faults):
    rds = emu.client("rds", zero_account)
    rds.create_db_cluster(DBClusterIdentifier="a", Engine="aurora-postgresql", EngineVersion="16",
                          MasterUsername="admin", MasterUserPassword="secret-password")
    rds.create_db_instance(DBInstanceIdentifier="a-1", DBClusterIdentifier="a", Engine="aurora-postgresql",
                           DBInstanceClass="db.serverless")
    assert rds.describe_db_clusters(DBClusterIdentifier="a")["DBClusters"][0]["EngineVersion"] == "16.8"
    faults({"kind": "minor_upgrade", "account": zero_account, "service": "rds", "operation": "DescribeDBClusters",
            "count": 1})
    assert rds.describe_db_clusters(DBClusterIdentifier="a")["DBClusters"][0]["EngineVersion"] == "16.9"
    assert rds.describe_db_instances(DBInstanceIdentifier="a-1")["DBInstances"][0]["EngineVersion"] == "16.9"
