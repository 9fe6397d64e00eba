//! The Redis replication group (cluster mode on or off, transit and at-rest encryption). No look
//! before the create: an existing group is answered ReplicationGroupAlreadyExists. Waited on
//! until `available`; a delete waits until it is gone, after a final snapshot unless the
//! operator's [`DataPolicy`](crate::aws::operator::DataPolicy) says not to.

use aws_sdk_elasticache::types::{ClusterMode, ReplicationGroup};
use serde_json::Value;

use super::elasticache::{
    ElastiCacheTags, cache_tags, group_outputs, in_use_is_conflict, reference_name,
};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::cache::CacheReplicationGroupProps;

pub struct CacheReplicationGroup;

/// What [`CacheReplicationGroup::update`] changes with ModifyReplicationGroup; tags aside.
pub(crate) const MODIFY_IN_PLACE: &[&str] = &[
    "cacheNodeType",
    "engineVersion",
    "automaticFailover",
    "multiAz",
    "securityGroups",
    "cacheParameterGroup",
    "description",
];

/// What [`CacheReplicationGroup::update`] changes in place besides [`MODIFY_IN_PLACE`]:
/// replicas (`replica_change`: Increase/DecreaseReplicaCount) and shards
/// (ModifyReplicationGroupShardConfiguration). Anything else must be in `replace_on`.
#[cfg(test)]
pub(crate) const RESHAPE_IN_PLACE: &[&str] = &["replicasPerNodeGroup", "numNodeGroups"];

impl Adapter for CacheReplicationGroup {
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
            .cache_subnet_group_name(reference_name(step, &props.cache_subnet_group)?)
            .cache_parameter_group_name(reference_name(step, &props.cache_parameter_group)?);
        request = if props.cluster_mode == "enabled" {
            request
                .cluster_mode(ClusterMode::Enabled)
                .num_node_groups(count(props.num_node_groups))
        } else {
            request
                .cluster_mode(ClusterMode::Disabled)
                .num_node_groups(1)
        };
        match request.send().await.aws() {
            Ok(_) => {}
            Err(e) if e.code == "ReplicationGroupAlreadyExists" => {}
            Err(e) => return Err(e),
        }
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
                request = request.cache_parameter_group_name(reference_name(
                    step,
                    &props.cache_parameter_group,
                )?);
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
        let id = step.existing("name").unwrap_or(step.name()).to_string();
        let mut request = step
            .clients()
            .elasticache
            .delete_replication_group()
            .replication_group_id(&id)
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
                Ok(describe_group(step, &id)
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
    Ok(not_found_as_none(result)?
        .and_then(|r| r.replication_groups.unwrap_or_default().into_iter().next()))
}

/// A status, shown while waiting.
struct Status(String);

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
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
        .request
        .step
        .observed
        .as_ref()
        .and_then(|o| o.get("replicasPerNodeGroup"))
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
    if grow {
        ec.increase_replica_count()
            .replication_group_id(id)
            .new_replica_count(desired)
            .apply_immediately(true)
            .send()
            .await
            .aws()
            .map_err(in_use_is_conflict)?;
    } else {
        ec.decrease_replica_count()
            .replication_group_id(id)
            .new_replica_count(desired)
            .apply_immediately(true)
            .send()
            .await
            .aws()
            .map_err(in_use_is_conflict)?;
    }
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
