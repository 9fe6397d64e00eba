//! The Redis replication group (cluster mode on or off, transit and at-rest encryption). No look
//! before the create: an existing group is answered ReplicationGroupAlreadyExists. Waited on
//! until `available`; a delete waits until it is gone, after a final snapshot unless the
//! operator's [`DataPolicy`](crate::aws::operator::DataPolicy) says not to. Its read lists the
//! account's groups and takes the settings only their member clusters carry from the members'
//! listing.

use std::collections::HashMap;

use aws_sdk_elasticache::types::{CacheCluster, ClusterMode, ReplicationGroup};
use serde_json::{Value, json};

use super::elasticache::{
    ElastiCacheTags, cache_arn, cache_tags, desired_named, in_use_is_conflict, tags_of,
};
use super::stages::{Read, TAGGED, fallback, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, already_made_is_ok, first_found,
    outputs, sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::cache::CacheReplicationGroupProps;

pub(crate) struct CacheReplicationGroup;

/// What [`CacheReplicationGroup::update`] changes with ModifyReplicationGroup; the rest of the
/// kind's in-place list (its spec row) is its shape: replicas (`replica_change`:
/// Increase/DecreaseReplicaCount) and shards (ModifyReplicationGroupShardConfiguration).
pub(crate) const MODIFY_IN_PLACE: &[&str] = &[
    "cacheNodeType",
    "engineVersion",
    "automaticFailover",
    "multiAz",
    "securityGroups",
    "cacheParameterGroup",
    "description",
];

/// Every cache cluster by id (one DescribeCacheClusters per page).
async fn member_clusters(read: &AwsRead<'_>) -> Result<HashMap<String, CacheCluster>, StepError> {
    let ec = &read.clients().elasticache;
    Ok(all_items!(
        ec.describe_cache_clusters().max_records(100),
        cache_clusters
    )
    .into_iter()
    .filter_map(|c| Some((c.cache_cluster_id.clone()?, c)))
    .collect())
}

fn sorted(mut ids: Vec<String>) -> Value {
    ids.sort();
    json!(ids)
}

impl Adapter for CacheReplicationGroup {
    // The member clusters beside the groups' listing when the blueprint has a group.
    const READS: &'static [Read] = &[
        first(("elasticache", "DescribeReplicationGroups")),
        first(("elasticache", "DescribeCacheClusters")),
        fallback(
            ("elasticache", "DescribeCacheClusters"),
            &[("elasticache", "DescribeReplicationGroups"), TAGGED],
            "a replication group the blueprint no longer has",
        ),
    ];

    /// Replication groups tagged for the blueprint, with the settings only their member clusters
    /// carry (one DescribeCacheClusters per page for all of them: beside the groups' listing when
    /// the blueprint has a group, else only once an owned group is found).
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let ec = &read.clients().elasticache;
        let wanted = read.desired_of(K::CacheReplicationGroup).next().is_some();
        let (pages, early) = futures::try_join!(
            async {
                Ok::<_, StepError>(all_pages!(
                    ec.describe_replication_groups()
                        .max_records(100)
                        .into_paginator()
                        .send()
                ))
            },
            async {
                if wanted {
                    member_clusters(read).await.map(Some)
                } else {
                    Ok(None)
                }
            },
        )?;
        let mut owned = Vec::new();
        for g in pages
            .into_iter()
            .flat_map(|p| p.replication_groups.unwrap_or_default())
        {
            let Some(id) = g.replication_group_id() else {
                continue;
            };
            if g.status() == Some("deleting") {
                continue;
            }
            let arn = g.arn().map_or_else(
                || cache_arn(read.conn, "replicationgroup", id),
                str::to_string,
            );
            let desired = desired_named(read, K::CacheReplicationGroup, id).is_some();
            let Some(tags) = read.tags_for(&arn, desired, || tags_of(read, &arn)).await? else {
                continue;
            };
            let Some(address) = read.owned(&tags) else {
                continue;
            };
            owned.push((g, arn, tags, address));
        }
        if owned.is_empty() {
            return Ok(Vec::new());
        }
        let clusters = match early {
            Some(clusters) => clusters,
            None => member_clusters(read).await?,
        };
        let mut found = Vec::new();
        for (g, arn, tags, address) in owned {
            let id = g.replication_group_id().unwrap_or_default();
            let member = g.member_clusters().first().and_then(|m| clusters.get(m));
            let cluster_mode = g.cluster_enabled() == Some(true)
                || g.cluster_mode().is_some_and(|m| m.as_str() == "enabled");
            let shards = g.node_groups().len().max(1);
            let replicas = g
                .node_groups()
                .first()
                .map_or(0, |n| n.node_group_members().len().saturating_sub(1));
            let replicas = if replicas == 0 && !cluster_mode {
                g.member_clusters().len().saturating_sub(1)
            } else {
                replicas
            };
            let port = g
                .configuration_endpoint()
                .or_else(|| g.node_groups().first().and_then(|n| n.primary_endpoint()))
                .and_then(|e| e.port())
                .unwrap_or(6379);
            let groups: Vec<String> = member
                .map(|m| {
                    m.security_groups()
                        .iter()
                        .filter_map(|s| s.security_group_id().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let failover = g
                .automatic_failover()
                .is_some_and(|f| matches!(f.as_str(), "enabled" | "enabling"));
            let multi_az = g.multi_az().is_some_and(|m| m.as_str() == "enabled");
            let subnet_group = member
                .and_then(|m| m.cache_subnet_group_name())
                .unwrap_or_default();
            let parameter_group = member
                .and_then(|m| m.cache_parameter_group())
                .and_then(|p| p.cache_parameter_group_name())
                .unwrap_or_default();
            let mut f = Found::new(K::CacheReplicationGroup, &arn)
                .at(Some(address.clone()))
                .named(id)
                .with("replicationGroupId", id)
                .with("description", g.description().unwrap_or_default())
                .with(
                    "engine",
                    g.engine()
                        .or(member.and_then(|m| m.engine()))
                        .unwrap_or("redis"),
                )
                .with(
                    "engineVersion",
                    member.and_then(|m| m.engine_version()).unwrap_or_default(),
                )
                .with("cacheNodeType", g.cache_node_type().unwrap_or_default())
                .with(
                    "clusterMode",
                    if cluster_mode { "enabled" } else { "disabled" },
                )
                .with("numNodeGroups", shards)
                .with("replicasPerNodeGroup", replicas)
                .with("automaticFailover", failover)
                .with("multiAz", multi_az)
                .with(
                    "transitEncryption",
                    g.transit_encryption_enabled().unwrap_or(false),
                )
                .with(
                    "atRestEncryption",
                    g.at_rest_encryption_enabled().unwrap_or(false),
                )
                .with("port", port)
                .with(
                    "cacheSubnetGroup",
                    cache_arn(read.conn, "subnetgroup", subnet_group),
                )
                .with(
                    "cacheParameterGroup",
                    cache_arn(read.conn, "parametergroup", parameter_group),
                )
                .with("securityGroups", sorted(groups))
                .with("tags", tags::to_value(&tags));
            if member.is_none() {
                // No member cluster to describe (the emulator makes none; AWS always does): the
                // settings only the members carry are taken as desired rather than shown as drift.
                if let Some(d) = read
                    .desired_of(K::CacheReplicationGroup)
                    .find(|d| d.address == address)
                {
                    for key in [
                        "engineVersion",
                        "cacheSubnetGroup",
                        "cacheParameterGroup",
                        "securityGroups",
                    ] {
                        if let Some(value) = d.properties.get(key) {
                            f = f.with(key, value.clone());
                        }
                    }
                }
            }
            f.outputs = group_outputs(&g);
            found.push(f);
        }
        Ok(found)
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: CacheReplicationGroupProps = step.props()?;
        let id = props.replication_group_id.as_str();
        let mut request = step
            .clients()
            .elasticache
            .create_replication_group()
            .replication_group_id(id)
            .replication_group_description(&props.description)
            .engine(&props.engine)
            .engine_version(&props.engine_version)
            .cache_node_type(&props.cache_node_type)
            .replicas_per_node_group(count(props.replicas_per_node_group))
            .automatic_failover_enabled(props.automatic_failover)
            .multi_az_enabled(props.multi_az)
            .transit_encryption_enabled(props.transit_encryption)
            .at_rest_encryption_enabled(props.at_rest_encryption)
            .port(i32::from(props.port))
            .set_security_group_ids(Some(security_group_ids(step, &props)?))
            .set_tags(Some(cache_tags(&step.tags())))
            .cache_subnet_group_name(step.name_of(&props.cache_subnet_group)?)
            .cache_parameter_group_name(step.name_of(&props.cache_parameter_group)?);
        request = if props.cluster_mode == "enabled" {
            request
                .cluster_mode(ClusterMode::Enabled)
                .num_node_groups(count(props.num_node_groups))
        } else {
            request
                .cluster_mode(ClusterMode::Disabled)
                .num_node_groups(1)
        };
        already_made_is_ok(request.send().await.aws(), |e| {
            e.code == "ReplicationGroupAlreadyExists"
        })?;
        wait_group(step, id).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: CacheReplicationGroupProps = step.props()?;
        let id = props.replication_group_id.as_str();
        let ec = &step.clients().elasticache;
        // Failover and Multi-AZ need a replica: replicas are added before they are turned on,
        // and removed after they are turned off.
        let replicas = replica_change(step, &props);
        if let Some((desired, true)) = replicas {
            change_replicas(step, id, desired, true).await?;
        }
        if step.changed_any(MODIFY_IN_PLACE) {
            let mut request = ec
                .modify_replication_group()
                .replication_group_id(id)
                .apply_immediately(true);
            if step.changed("cacheNodeType") {
                request = request.cache_node_type(&props.cache_node_type);
            }
            if step.changed("engineVersion") {
                request = request.engine_version(&props.engine_version);
            }
            if step.changed("automaticFailover") {
                request = request.automatic_failover_enabled(props.automatic_failover);
            }
            if step.changed("multiAz") {
                request = request.multi_az_enabled(props.multi_az);
            }
            if step.changed("securityGroups") {
                request = request.set_security_group_ids(Some(security_group_ids(step, &props)?));
            }
            if step.changed("cacheParameterGroup") {
                request =
                    request.cache_parameter_group_name(step.name_of(&props.cache_parameter_group)?);
            }
            if step.changed("description") {
                request = request.replication_group_description(&props.description);
            }
            request.send().await.aws().map_err(in_use_is_conflict)?;
            wait_group(step, id).await?;
        }
        if let Some((desired, false)) = replicas {
            change_replicas(step, id, desired, false).await?;
        }
        if step.changed("numNodeGroups") {
            let count = count(props.num_node_groups);
            let shards: Vec<String> = describe_group(step, id)
                .await?
                .map(|g| {
                    g.node_groups()
                        .iter()
                        .filter_map(|n| n.node_group_id().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let remove = shards_to_remove(shards, count);
            ec.modify_replication_group_shard_configuration()
                .replication_group_id(id)
                .node_group_count(count)
                .set_node_groups_to_remove((!remove.is_empty()).then_some(remove))
                .apply_immediately(true)
                .send()
                .await
                .aws()
                .map_err(in_use_is_conflict)?;
        }
        let out = wait_group(step, id).await?;
        if let Some(Value::String(arn)) = out.get("arn") {
            sync_tags::<ElastiCacheTags>(step, arn).await?;
        }
        Ok(out)
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_name();
        let mut request = step
            .clients()
            .elasticache
            .delete_replication_group()
            .replication_group_id(id)
            .retain_primary_cluster(false);
        if step.data.final_snapshot {
            let seconds = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            request = request.final_snapshot_identifier(format!("{id}-final-{seconds}"));
        }
        match request.send().await.aws() {
            Ok(_) => {}
            Err(e) if super::is_not_found(&e) => return Ok(Outputs::new()),
            // Already being deleted by an earlier attempt.
            Err(e)
                if e.code == "InvalidReplicationGroupState" && e.message.contains("deleting") => {}
            Err(e) => return Err(in_use_is_conflict(e)),
        }
        step.wait_until(
            || async {
                Ok(describe_group(step, id)
                    .await?
                    .map(|g| Status(g.status().unwrap_or_default().to_string())))
            },
            |s: Option<&Status>| s.is_none(),
        )
        .await?;
        Ok(Outputs::new())
    }
}

/// A count as the SDK takes it (the catalog's counts are small; AWS refuses a huge one).
fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn security_group_ids(
    step: &AwsStep<'_>,
    props: &CacheReplicationGroupProps,
) -> Result<Vec<String>, StepError> {
    props
        .security_groups
        .iter()
        .map(|s| step.resolve(s))
        .collect()
}

async fn describe_group(
    step: &AwsStep<'_>,
    id: &str,
) -> Result<Option<ReplicationGroup>, StepError> {
    let result = step
        .clients()
        .elasticache
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
        .aws();
    first_found(result, |r| r.replication_groups)
}

/// A status, shown while waiting.
struct Status(String);

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A replication group's outputs: its ARN, name and endpoint.
fn group_outputs(g: &ReplicationGroup) -> Outputs {
    let id = g.replication_group_id().unwrap_or_default();
    let arn = g.arn().unwrap_or(id);
    let mut out = outputs(arn, Some(arn), Some(id));
    let endpoint = g
        .configuration_endpoint()
        .or_else(|| g.node_groups().first().and_then(|n| n.primary_endpoint()));
    if let Some(e) = endpoint {
        if let Some(address) = e.address() {
            out.insert("endpoint".into(), Value::from(address));
        }
        if let Some(port) = e.port() {
            out.insert("port".into(), Value::from(port));
        }
    }
    out
}

async fn wait_group(step: &AwsStep<'_>, id: &str) -> Result<Outputs, StepError> {
    step.wait_until(
        || async {
            let status = describe_group(step, id)
                .await?
                .map(|g| Status(g.status().unwrap_or_default().to_string()));
            if status.as_ref().is_some_and(|s| s.0 == "create-failed") {
                return Err(StepError::fatal(
                    "CreateFailed",
                    format!("replication group {id} failed"),
                ));
            }
            Ok(status)
        },
        |s: Option<&Status>| s.is_some_and(|s| s.0 == "available"),
    )
    .await?;
    let group = describe_group(step, id).await?;
    Ok(group.map_or_else(|| outputs(id, None, Some(id)), |g| group_outputs(&g)))
}

/// The desired replica count when it changes, and whether it grows.
fn replica_change(step: &AwsStep<'_>, props: &CacheReplicationGroupProps) -> Option<(i32, bool)> {
    if !step.changed("replicasPerNodeGroup") {
        return None;
    }
    let desired = count(props.replicas_per_node_group);
    let observed = step
        .observed("replicasPerNodeGroup")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    Some((desired, i64::from(desired) > observed))
}

async fn change_replicas(
    step: &AwsStep<'_>,
    id: &str,
    desired: i32,
    grow: bool,
) -> Result<(), StepError> {
    let ec = &step.clients().elasticache;
    // Increase- and DecreaseReplicaCount take the same fields under the same names.
    macro_rules! to_count {
        ($request:expr) => {
            $request
                .replication_group_id(id)
                .new_replica_count(desired)
                .apply_immediately(true)
                .send()
                .await
                .aws()
                .map(drop)
        };
    }
    let changed = if grow {
        to_count!(ec.increase_replica_count())
    } else {
        to_count!(ec.decrease_replica_count())
    };
    changed.map_err(in_use_is_conflict)?;
    wait_group(step, id).await?;
    Ok(())
}

/// The shards to drop when going down to `count`: AWS wants them named (NodeGroupsToRemove);
/// the newest go. Empty when the count grows.
fn shards_to_remove(mut shards: Vec<String>, count: i32) -> Vec<String> {
    shards.sort();
    let keep = usize::try_from(count.max(1)).unwrap_or(1);
    if shards.len() > keep {
        shards.split_off(keep)
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_shards_name_the_newest() {
        let shards = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            shards_to_remove(shards(&["0003", "0001", "0002"]), 1),
            shards(&["0002", "0003"])
        );
        assert_eq!(shards_to_remove(shards(&["0001", "0002"]), 3), shards(&[]));
        assert_eq!(
            shards_to_remove(shards(&["0001", "0002"]), 0),
            shards(&["0002"])
        );
    }
}
