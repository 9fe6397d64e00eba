"""In-place updates moto lacks, answered as AWS answers them: ElastiCache replica counts
(IncreaseReplicaCount, DecreaseReplicaCount) and shard counts
(ModifyReplicationGroupShardConfiguration), and the client-id list of an IAM OIDC provider
(AddClientIDToOpenIDConnectProvider, RemoveClientIDFromOpenIDConnectProvider)."""

from __future__ import annotations

import re
import threading

from .errors import AwsError
from .hooks import on
from .lifecycle import duration, in_transition, set_phase
from .xmlresp import query_response

_lock = threading.Lock()

ELASTICACHE_NS = "http://elasticache.amazonaws.com/doc/2015-02-02/"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
# Redis cluster mode has 16384 hash slots, split evenly between the shards.
SLOTS = 16384
MAX_REPLICAS = 5


# --- ElastiCache ---------------------------------------------------------------------------
def _replication_group(ctx):
    from moto.elasticache.models import elasticache_backends

    ident = ctx.params().get("ReplicationGroupId", "")
    group = elasticache_backends[ctx.account][ctx.region].replication_groups.get(ident)
    if group is None:
        raise AwsError("ReplicationGroupNotFoundFault", f"ReplicationGroup {ident} not found.", 404)
    if group.status != "available" or in_transition(group):
        raise AwsError("InvalidReplicationGroupState",
                       f"Replication group {ident} is {group.status}, not available.")
    return group


def _apply_immediately(ctx) -> None:
    if str(ctx.params().get("ApplyImmediately", "")).lower() != "true":
        raise AwsError("InvalidParameterValue", "ApplyImmediately must be true.")


def _modifying(group) -> None:
    set_phase(group, [("modifying", duration("elasticache_replication_group_modify"))])


def _member(group, node_group: dict, number: int) -> dict:
    """The member cache cluster `number` (1 is the primary) of a node group, in moto's shape."""
    if group.cluster_mode == "enabled":
        cid = f"{group.replication_group_id}-{node_group['node_group_id']}-{number:0>3}"
    else:
        cid = f"{group.replication_group_id}-{number:0>3}"
    member = {"cache_cluster_id": cid, "cache_node_id": node_group["node_group_id"],
              "preferred_availability_zone": "us-east-1a" if number == 1 else "us-east-1b"}
    if group.cluster_mode != "enabled":
        member["current_role"] = "primary" if number == 1 else "replica"
        member["read_endpoint"] = {"address": f"{cid}.emulator.cache.amazonaws.com", "port": group.port}
    return member


def _set_replicas(group, node_group: dict, replicas: int) -> None:
    members = node_group["node_group_members"]
    while len(members) - 1 < replicas:
        members.append(_member(group, node_group, len(members) + 1))
    del members[replicas + 1:]
    _sync_member_clusters(group)


def _sync_member_clusters(group) -> None:
    group.member_clusters[:] = [m["cache_cluster_id"] for ng in group.node_groups
                                for m in ng["node_group_members"]]


def _group_result(group) -> dict:
    return {"ReplicationGroup": {"ReplicationGroupId": group.replication_group_id, "Status": "modifying",
                                 "Description": group.description}}


def _new_replica_count(ctx) -> int:
    raw = ctx.params().get("NewReplicaCount")
    if raw is None:
        raise AwsError("InvalidParameterValue", "NewReplicaCount is required.")
    try:
        return int(raw)
    except ValueError:
        raise AwsError("InvalidParameterValue", f"NewReplicaCount {raw} is not a number.") from None


def _change_replicas(ctx, operation: str, increase: bool):
    _apply_immediately(ctx)
    count = _new_replica_count(ctx)
    with _lock:
        group = _replication_group(ctx)
        current = len(group.node_groups[0]["node_group_members"]) - 1
        if increase and not current < count <= MAX_REPLICAS:
            raise AwsError("InvalidParameterValue",
                           f"NewReplicaCount must be between {current + 1} and {MAX_REPLICAS}.")
        # Without cluster mode, AWS keeps at least one replica while automatic failover is on.
        least = 1 if group.automatic_failover == "enabled" and group.cluster_mode != "enabled" else 0
        if not increase and not least <= count < current:
            raise AwsError("InvalidParameterValue",
                           f"NewReplicaCount must be between {least} and {current - 1}.")
        for node_group in group.node_groups:
            _set_replicas(group, node_group, count)
        _modifying(group)
    return query_response(operation, ELASTICACHE_NS, _group_result(group))


@on("elasticache", "IncreaseReplicaCount")
def increase_replica_count(ctx, _next):
    return _change_replicas(ctx, "IncreaseReplicaCount", increase=True)


@on("elasticache", "DecreaseReplicaCount")
def decrease_replica_count(ctx, _next):
    return _change_replicas(ctx, "DecreaseReplicaCount", increase=False)


@on("elasticache", "ModifyReplicationGroup")
def failover_needs_a_replica(ctx, call_next):
    """Automatic failover (and Multi-AZ) without cluster mode needs a replica to fail over to, so
    replicas are added before failover is turned on. (The error code is the emulator's choice.)"""
    from moto.elasticache.models import elasticache_backends

    p = ctx.params()
    group = elasticache_backends[ctx.account][ctx.region].replication_groups.get(
        p.get("ReplicationGroupId", ""))
    turning_on = any(str(p.get(k, "")).lower() == "true"
                     for k in ("AutomaticFailoverEnabled", "MultiAZEnabled"))
    if group is not None and turning_on and group.cluster_mode != "enabled" \
            and len(group.node_groups[0]["node_group_members"]) < 2:
        raise AwsError("InvalidParameterCombination",
                       "Automatic failover and Multi-AZ need at least one replica.")
    return call_next()


def _listed(params: dict, prefix: str) -> list[str]:
    """`Prefix.NodeGroupToRemove.1=x` style lists (any member name), in order."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.[A-Za-z]+\.(\d+)$")
    found = [(int(m.group(1)), v) for k, v in params.items() if (m := pattern.match(k))]
    return [v for _, v in sorted(found)]


def _reslot(group) -> None:
    count = len(group.node_groups)
    start = 0
    for i, node_group in enumerate(group.node_groups):
        end = (SLOTS * (i + 1)) // count - 1
        node_group["slots"] = f"{start}-{end}"
        start = end + 1


@on("elasticache", "ModifyReplicationGroupShardConfiguration")
def modify_shard_configuration(ctx, _next):
    p = ctx.params()
    _apply_immediately(ctx)
    try:
        count = int(p.get("NodeGroupCount", ""))
    except ValueError:
        raise AwsError("InvalidParameterValue", "NodeGroupCount is required.") from None
    remove = _listed(p, "NodeGroupsToRemove")
    retain = _listed(p, "NodeGroupsToRetain")
    with _lock:
        group = _replication_group(ctx)
        if group.cluster_mode != "enabled":
            raise AwsError("InvalidReplicationGroupState",
                           "Cluster mode is not enabled on this replication group.")
        ids = [ng["node_group_id"] for ng in group.node_groups]
        if count < 1 or count == len(ids):
            raise AwsError("InvalidParameterValue",
                           f"NodeGroupCount must differ from the current {len(ids)} and be at least 1.")
        if count < len(ids):
            # As AWS: fewer shards needs the ones to remove or the ones to keep, not both.
            if bool(remove) == bool(retain):
                raise AwsError("InvalidParameterValue",
                               "Either NodeGroupsToRemove or NodeGroupsToRetain is required when "
                               "reducing the number of node groups.")
            unknown = [x for x in remove + retain if x not in ids]
            if unknown:
                raise AwsError("InvalidParameterValue", f"Unknown node groups: {', '.join(unknown)}.")
            keep = retain or [x for x in ids if x not in remove]
            if len(keep) != count:
                raise AwsError("InvalidParameterValue",
                               f"Keeping {len(keep)} node groups does not match NodeGroupCount {count}.")
            group.node_groups[:] = [ng for ng in group.node_groups if ng["node_group_id"] in keep]
        else:
            replicas = len(group.node_groups[0]["node_group_members"]) - 1
            number = max(int(x) for x in ids)
            while len(group.node_groups) < count:
                number += 1
                node_group = {"node_group_id": f"{number:0>4}", "status": "available",
                              "node_group_members": []}
                _set_replicas(group, node_group, replicas)
                group.node_groups.append(node_group)
        _reslot(group)
        _sync_member_clusters(group)
        _modifying(group)
    return query_response("ModifyReplicationGroupShardConfiguration", ELASTICACHE_NS, _group_result(group))


# --- IAM OIDC provider client ids ----------------------------------------------------------
def _oidc_provider(ctx):
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    arn = ctx.params().get("OpenIDConnectProviderArn", "")
    provider = iam_backends[ctx.account][get_partition(ctx.region)].open_id_providers.get(arn)
    if provider is None:
        raise AwsError("NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", 404)
    return provider


def _client_id(ctx) -> str:
    # Its length (1..255, the model's clientIDType) is checked by model_validation.
    return ctx.params().get("ClientID", "")


@on("iam", "AddClientIDToOpenIDConnectProvider")
def add_client_id(ctx, _next):
    client_id = _client_id(ctx)
    with _lock:
        provider = _oidc_provider(ctx)
        if client_id not in provider.client_id_list:  # adding one already there is a no-op
            if len(provider.client_id_list) >= 100:
                raise AwsError("LimitExceeded", "An OIDC provider has at most 100 client IDs.", 409)
            provider.client_id_list.append(client_id)
    return query_response("AddClientIDToOpenIDConnectProvider", IAM_NS, None)


@on("iam", "RemoveClientIDFromOpenIDConnectProvider")
def remove_client_id(ctx, _next):
    client_id = _client_id(ctx)
    with _lock:
        provider = _oidc_provider(ctx)
        # Removing a client id that is not there is not an error (AWS documents it so).
        provider.client_id_list[:] = [c for c in provider.client_id_list if c != client_id]
    return query_response("RemoveClientIDFromOpenIDConnectProvider", IAM_NS, None)
