"""In-place updates moto lacks: ElastiCache replica and shard counts, OIDC provider client ids."""

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for


def code_of(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"]


def shape(ec, ident):
    """(shard ids, replicas per shard, member clusters) of a replication group."""
    g = ec.describe_replication_groups(ReplicationGroupId=ident)["ReplicationGroups"][0]
    groups = g["NodeGroups"]
    return ([n["NodeGroupId"] for n in groups], [len(n["NodeGroupMembers"]) - 1 for n in groups],
            g["MemberClusters"])


def clustered(ec, ident, shards=2, replicas=1):
    ec.create_replication_group(ReplicationGroupId=ident, ReplicationGroupDescription="r", Engine="redis",
                                CacheNodeType="cache.t3.micro", ClusterMode="enabled",
                                NumNodeGroups=shards, ReplicasPerNodeGroup=replicas,
                                AutomaticFailoverEnabled=True)


def test_replica_counts(emu, zero_account):
    ec = emu.client("elasticache", zero_account)
    clustered(ec, "rc")
    ec.increase_replica_count(ReplicationGroupId="rc", NewReplicaCount=3, ApplyImmediately=True)
    ids, replicas, members = shape(ec, "rc")
    assert replicas == [3, 3] and len(members) == 8 and len(set(members)) == 8
    ec.decrease_replica_count(ReplicationGroupId="rc", NewReplicaCount=1, ApplyImmediately=True)
    assert shape(ec, "rc")[1] == [1, 1]
    # Neither an increase nor a decrease.
    assert code_of(ec.increase_replica_count, ReplicationGroupId="rc", NewReplicaCount=1,
                   ApplyImmediately=True) == "InvalidParameterValue"
    assert code_of(ec.decrease_replica_count, ReplicationGroupId="rc", NewReplicaCount=1,
                   ApplyImmediately=True) == "InvalidParameterValue"
    assert code_of(ec.increase_replica_count, ReplicationGroupId="nope", NewReplicaCount=2,
                   ApplyImmediately=True) == "ReplicationGroupNotFoundFault"

    # Cluster mode disabled: one node group, replicas as member clusters.
    ec.create_replication_group(ReplicationGroupId="single", ReplicationGroupDescription="r", Engine="redis",
                                CacheNodeType="cache.t3.micro", NumCacheClusters=1)
    ec.increase_replica_count(ReplicationGroupId="single", NewReplicaCount=2, ApplyImmediately=True)
    assert shape(ec, "single")[1:] == ([2], ["single-001", "single-002", "single-003"])
    ec.decrease_replica_count(ReplicationGroupId="single", NewReplicaCount=0, ApplyImmediately=True)
    assert shape(ec, "single")[1:] == ([0], ["single-001"])
    # Failover needs a replica to fail over to (cluster mode has it on with none).
    assert code_of(ec.modify_replication_group, ReplicationGroupId="single", AutomaticFailoverEnabled=True,
                   ApplyImmediately=True) == "InvalidParameterCombination"
    ec.increase_replica_count(ReplicationGroupId="single", NewReplicaCount=1, ApplyImmediately=True)
    ec.modify_replication_group(ReplicationGroupId="single", AutomaticFailoverEnabled=True, MultiAZEnabled=True,
                                ApplyImmediately=True)
    assert code_of(ec.decrease_replica_count, ReplicationGroupId="single", NewReplicaCount=0,
                   ApplyImmediately=True) == "InvalidParameterValue"
    ec.decrease_replica_count(ReplicationGroupId="rc", NewReplicaCount=0, ApplyImmediately=True)
    assert shape(ec, "rc")[1] == [0, 0]


def test_replica_change_waits_for_the_modification(emu, account):
    # The test profile: `modifying` lasts a moment after each change.
    ec = emu.client("elasticache", account)
    clustered(ec, "busy")

    def status():
        return ec.describe_replication_groups(ReplicationGroupId="busy")["ReplicationGroups"][0]["Status"]

    assert wait_for(status, "available")[-1] == "available"
    ec.increase_replica_count(ReplicationGroupId="busy", NewReplicaCount=2, ApplyImmediately=True)
    assert status() == "modifying"
    assert code_of(ec.increase_replica_count, ReplicationGroupId="busy", NewReplicaCount=3,
                   ApplyImmediately=True) == "InvalidReplicationGroupState"


def test_shard_configuration(emu, zero_account):
    ec = emu.client("elasticache", zero_account)
    clustered(ec, "sh")
    ec.modify_replication_group_shard_configuration(ReplicationGroupId="sh", NodeGroupCount=4,
                                                    ApplyImmediately=True)
    ids, replicas, members = shape(ec, "sh")
    assert ids == ["0001", "0002", "0003", "0004"] and replicas == [1, 1, 1, 1] and len(members) == 8
    slots = [n["Slots"] for n in ec.describe_replication_groups(ReplicationGroupId="sh")
             ["ReplicationGroups"][0]["NodeGroups"]]
    assert slots[0].startswith("0-") and slots[-1].endswith("-16383")

    # Fewer shards: AWS wants to know which go (or which stay).
    assert code_of(ec.modify_replication_group_shard_configuration, ReplicationGroupId="sh",
                   NodeGroupCount=2, ApplyImmediately=True) == "InvalidParameterValue"
    ec.modify_replication_group_shard_configuration(ReplicationGroupId="sh", NodeGroupCount=3,
                                                    NodeGroupsToRemove=["0002"], ApplyImmediately=True)
    assert shape(ec, "sh")[0] == ["0001", "0003", "0004"]
    ec.modify_replication_group_shard_configuration(ReplicationGroupId="sh", NodeGroupCount=1,
                                                    NodeGroupsToRetain=["0004"], ApplyImmediately=True)
    assert shape(ec, "sh")[0] == ["0004"]
    assert code_of(ec.modify_replication_group_shard_configuration, ReplicationGroupId="sh",
                   NodeGroupCount=1, ApplyImmediately=True) == "InvalidParameterValue"


def test_oidc_provider_client_ids(emu, zero_account):
    iam = emu.client("iam", zero_account)
    arn = iam.create_open_id_connect_provider(Url="https://oidc.example.com/id/ABC", ClientIDList=["sts.amazonaws.com"],
                                              ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]

    def client_ids():
        return sorted(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"])

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="shiny")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="shiny")
    assert client_ids() == ["shiny", "sts.amazonaws.com"]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="never-there")
    assert client_ids() == ["shiny"]
    missing = arn.replace("ABC", "XYZ")
    assert code_of(iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=missing,
                   ClientID="x") == "NoSuchEntity"
    assert code_of(iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                   ClientID="x" * 256) == "ValidationError"
