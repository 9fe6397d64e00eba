//! elasticache: cache subnet groups, parameter groups with their values, and the Redis
//! replication group (cluster mode on or off, transit and at-rest encryption).
//!
//! Names are unique per account and region, so creates look them up first. The replication group
//! is waited on until `available`; deletes wait until it is gone, after a final snapshot unless
//! the operator's [`DataPolicy`](crate::aws::operator::DataPolicy) says not to. Ids are ARNs (the
//! subnet group and the replication group share one name).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_elasticache::types::{ClusterMode, ParameterNameValue, Tag};
use serde_json::{Map, Value, json};

use super::{AwsRead, AwsResult, AwsStep, Found, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

fn cache_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn arn(partition: &str, region: &str, account: &str, kind: &str, name: &str) -> String {
    format!("{partition}:elasticache:{region}:{account}:{kind}:{name}")
}

fn cx_arn(step: &AwsStep<'_>, kind: &str, name: &str) -> String {
    arn(
        &step.conn.partition.arn_prefix(),
        &step.conn.region,
        &step.conn.account,
        kind,
        name,
    )
}

fn rx_arn(read: &AwsRead<'_>, kind: &str, name: &str) -> String {
    arn(
        &read.conn.partition.arn_prefix(),
        &read.conn.region,
        &read.conn.account,
        kind,
        name,
    )
}

fn reference_name(step: &AwsStep<'_>, key: &str) -> Result<String, StepError> {
    let address = step.str(key)?;
    step.resolve(&format!(
        "{}#name",
        address.split('#').next().unwrap_or(address)
    ))
}

/// "In use" and "wrong state" answers are worth retrying later.
fn in_use_is_conflict(e: StepError) -> StepError {
    if e.code.contains("InUse") || (e.code.starts_with("Invalid") && e.code.contains("State")) {
        StepError::conflict(e.code, e.message)
    } else {
        e
    }
}

async fn sync_tags(step: &AwsStep<'_>, arn: &str) -> Result<(), StepError> {
    if !step.changed("tags") {
        return Ok(());
    }
    let (set, remove) = tags::changes(&step.observed_tags(), &step.tags());
    if !set.is_empty() {
        step.clients()
            .elasticache
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(cache_tags(&set)))
            .send()
            .await
            .aws()?;
    }
    if !remove.is_empty() {
        step.clients()
            .elasticache
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

// --- subnet groups -------------------------------------------------------------------------

fn subnet_group_outputs(step: &AwsStep<'_>, name: &str) -> Outputs {
    let arn = cx_arn(step, "subnetgroup", name);
    outputs(&arn, Some(&arn), Some(name))
}

pub async fn create_subnet_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    // Create first and treat "already exists" as found (a re-run after a crash): the group is
    // on lowcode-ha's critical path, so no describe round trip before the create.
    let created = step
        .clients()
        .elasticache
        .create_cache_subnet_group()
        .cache_subnet_group_name(&name)
        .cache_subnet_group_description(step.opt_str("description").unwrap_or("shinyctl"))
        .set_subnet_ids(Some(step.references("subnets")?))
        .set_tags(Some(cache_tags(&step.tags())))
        .send()
        .await
        .aws();
    match created {
        Ok(_) => {}
        Err(e) if e.code == "CacheSubnetGroupAlreadyExists" => {}
        Err(e) => return Err(e),
    }
    Ok(subnet_group_outputs(step, &name))
}

/// What `update_subnet_group` changes in place (ModifyCacheSubnetGroup); tags aside.
pub(crate) const SUBNET_GROUP_IN_PLACE: &[&str] = &["subnets", "description"];

pub async fn update_subnet_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    if step.changed_any(SUBNET_GROUP_IN_PLACE) {
        step.clients()
            .elasticache
            .modify_cache_subnet_group()
            .cache_subnet_group_name(&name)
            .set_cache_subnet_group_description(step.opt_str("description").map(str::to_string))
            .set_subnet_ids(Some(step.references("subnets")?))
            .send()
            .await
            .aws()?;
    }
    sync_tags(step, &cx_arn(step, "subnetgroup", &name)).await?;
    Ok(subnet_group_outputs(step, &name))
}

pub async fn delete_subnet_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.existing("name").unwrap_or(step.name()).to_string();
    let result = step
        .clients()
        .elasticache
        .delete_cache_subnet_group()
        .cache_subnet_group_name(&name)
        .send()
        .await
        .aws();
    not_found_as_none(result.map_err(in_use_is_conflict))?;
    Ok(Outputs::new())
}

// --- parameter groups ----------------------------------------------------------------------

fn parameter_group_outputs(step: &AwsStep<'_>, name: &str) -> Outputs {
    let arn = cx_arn(step, "parametergroup", name);
    outputs(&arn, Some(&arn), Some(name))
}

fn parameter_map(value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

async fn set_parameters(
    step: &AwsStep<'_>,
    name: &str,
    values: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    let entries: Vec<(&String, &String)> = values.iter().collect();
    for chunk in entries.chunks(20) {
        let values: Vec<ParameterNameValue> = chunk
            .iter()
            .map(|(k, v)| {
                ParameterNameValue::builder()
                    .parameter_name(*k)
                    .parameter_value(*v)
                    .build()
            })
            .collect();
        step.clients()
            .elasticache
            .modify_cache_parameter_group()
            .cache_parameter_group_name(name)
            .set_parameter_name_values(Some(values))
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

pub async fn create_parameter_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    let result = step
        .clients()
        .elasticache
        .create_cache_parameter_group()
        .cache_parameter_group_name(&name)
        .cache_parameter_group_family(step.str("family")?)
        .description(step.opt_str("description").unwrap_or("shinyctl"))
        .set_tags(Some(cache_tags(&step.tags())))
        .send()
        .await
        .aws();
    match result {
        Ok(_) => {}
        Err(e) if e.code.contains("AlreadyExists") => {}
        Err(e) => return Err(e),
    }
    set_parameters(step, &name, &parameter_map(step.property("parameters"))).await?;
    Ok(parameter_group_outputs(step, &name))
}

/// What `update_parameter_group` changes in place (Modify/ResetCacheParameterGroup); tags aside.
pub(crate) const PARAMETER_GROUP_IN_PLACE: &[&str] = &["parameters"];

pub async fn update_parameter_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    if step.changed_any(PARAMETER_GROUP_IN_PLACE) {
        let desired = parameter_map(step.property("parameters"));
        let observed = parameter_map(
            step.request
                .step
                .observed
                .as_ref()
                .and_then(|o| o.get("parameters")),
        );
        let changed: BTreeMap<String, String> = desired
            .iter()
            .filter(|(k, v)| observed.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        set_parameters(step, &name, &changed).await?;
        let removed: Vec<ParameterNameValue> = observed
            .keys()
            .filter(|k| !desired.contains_key(*k))
            .map(|k| ParameterNameValue::builder().parameter_name(k).build())
            .collect();
        if !removed.is_empty() {
            step.clients()
                .elasticache
                .reset_cache_parameter_group()
                .cache_parameter_group_name(&name)
                .set_parameter_name_values(Some(removed))
                .send()
                .await
                .aws()?;
        }
    }
    match sync_tags(step, &cx_arn(step, "parametergroup", &name)).await {
        Err(e) if e.code != "InvalidARN" => return Err(e),
        _ => {}
    }
    Ok(parameter_group_outputs(step, &name))
}

pub async fn delete_parameter_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.existing("name").unwrap_or(step.name()).to_string();
    let result = step
        .clients()
        .elasticache
        .delete_cache_parameter_group()
        .cache_parameter_group_name(&name)
        .send()
        .await
        .aws();
    not_found_as_none(result.map_err(in_use_is_conflict))?;
    Ok(Outputs::new())
}

// --- replication group ---------------------------------------------------------------------

async fn describe_group(
    step: &AwsStep<'_>,
    id: &str,
) -> Result<Option<aws_sdk_elasticache::types::ReplicationGroup>, StepError> {
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

fn group_outputs(g: &aws_sdk_elasticache::types::ReplicationGroup) -> Outputs {
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

fn int(step: &AwsStep<'_>, key: &str) -> Option<i32> {
    step.i64(key).and_then(|n| i32::try_from(n).ok())
}

pub async fn create_replication_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step
        .str("replicationGroupId")
        .unwrap_or(step.name())
        .to_string();
    // No look first: an existing group is answered ReplicationGroupAlreadyExists.
    let cluster_mode = step.opt_str("clusterMode") == Some("enabled");
    let mut request = step
        .clients()
        .elasticache
        .create_replication_group()
        .replication_group_id(&id)
        .replication_group_description(step.opt_str("description").unwrap_or("shinyctl"))
        .engine(step.opt_str("engine").unwrap_or("redis"))
        .set_engine_version(step.opt_str("engineVersion").map(str::to_string))
        .cache_node_type(step.str("cacheNodeType")?)
        .set_replicas_per_node_group(int(step, "replicasPerNodeGroup"))
        .automatic_failover_enabled(step.bool("automaticFailover").unwrap_or(false))
        .multi_az_enabled(step.bool("multiAz").unwrap_or(false))
        .transit_encryption_enabled(step.bool("transitEncryption").unwrap_or(false))
        .at_rest_encryption_enabled(step.bool("atRestEncryption").unwrap_or(false))
        .set_port(int(step, "port"))
        .set_security_group_ids(Some(step.references("securityGroups")?))
        .set_tags(Some(cache_tags(&step.tags())));
    request = if cluster_mode {
        request
            .cluster_mode(ClusterMode::Enabled)
            .set_num_node_groups(int(step, "numNodeGroups"))
    } else {
        request
            .cluster_mode(ClusterMode::Disabled)
            .num_node_groups(1)
    };
    if step.property("cacheSubnetGroup").is_some() {
        request = request.cache_subnet_group_name(reference_name(step, "cacheSubnetGroup")?);
    }
    if step.property("cacheParameterGroup").is_some() {
        request = request.cache_parameter_group_name(reference_name(step, "cacheParameterGroup")?);
    }
    match request.send().await.aws() {
        Ok(_) => {}
        Err(e) if e.code == "ReplicationGroupAlreadyExists" => {}
        Err(e) => return Err(e),
    }
    wait_group(step, &id).await
}

/// The desired replica count when it changes, and whether it grows.
fn replica_change(step: &AwsStep<'_>) -> Option<(i32, bool)> {
    if !step.changed("replicasPerNodeGroup") {
        return None;
    }
    let desired = int(step, "replicasPerNodeGroup").unwrap_or(0);
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

/// What `update_replication_group` changes with ModifyReplicationGroup; tags aside.
pub(crate) const MODIFY_IN_PLACE: &[&str] = &[
    "cacheNodeType",
    "engineVersion",
    "automaticFailover",
    "multiAz",
    "securityGroups",
    "cacheParameterGroup",
    "description",
];

/// What `update_replication_group` changes in place besides [`MODIFY_IN_PLACE`]: replicas
/// (`replica_change`: Increase/DecreaseReplicaCount) and shards
/// (ModifyReplicationGroupShardConfiguration). Anything else must be in `replace_on`.
#[cfg(test)]
pub(crate) const RESHAPE_IN_PLACE: &[&str] = &["replicasPerNodeGroup", "numNodeGroups"];

pub async fn update_replication_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step
        .str("replicationGroupId")
        .unwrap_or(step.name())
        .to_string();
    let ec = &step.clients().elasticache;
    // Failover and Multi-AZ need a replica: replicas are added before they are turned on, and
    // removed after they are turned off.
    let replicas = replica_change(step);
    if let Some((desired, true)) = replicas {
        change_replicas(step, &id, desired, true).await?;
    }
    if step.changed_any(MODIFY_IN_PLACE) {
        let mut request = ec
            .modify_replication_group()
            .replication_group_id(&id)
            .apply_immediately(true);
        if step.changed("cacheNodeType") {
            request =
                request.set_cache_node_type(step.opt_str("cacheNodeType").map(str::to_string));
        }
        if step.changed("engineVersion") {
            request = request.set_engine_version(step.opt_str("engineVersion").map(str::to_string));
        }
        if step.changed("automaticFailover") {
            request = request.set_automatic_failover_enabled(step.bool("automaticFailover"));
        }
        if step.changed("multiAz") {
            request = request.set_multi_az_enabled(step.bool("multiAz"));
        }
        if step.changed("securityGroups") {
            request = request.set_security_group_ids(Some(step.references("securityGroups")?));
        }
        if step.changed("cacheParameterGroup") {
            request =
                request.cache_parameter_group_name(reference_name(step, "cacheParameterGroup")?);
        }
        if step.changed("description") {
            request = request
                .set_replication_group_description(step.opt_str("description").map(str::to_string));
        }
        request.send().await.aws().map_err(in_use_is_conflict)?;
        wait_group(step, &id).await?;
    }
    if let Some((desired, false)) = replicas {
        change_replicas(step, &id, desired, false).await?;
    }
    if step.changed("numNodeGroups") {
        let count = int(step, "numNodeGroups").unwrap_or(1);
        let shards: Vec<String> = describe_group(step, &id)
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
            .replication_group_id(&id)
            .node_group_count(count)
            .set_node_groups_to_remove((!remove.is_empty()).then_some(remove))
            .apply_immediately(true)
            .send()
            .await
            .aws()
            .map_err(in_use_is_conflict)?;
    }
    let out = wait_group(step, &id).await?;
    if let Some(Value::String(arn)) = out.get("arn") {
        sync_tags(step, arn).await?;
    }
    Ok(out)
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

pub async fn delete_replication_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
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
        Err(e) if e.code == "InvalidReplicationGroupState" && e.message.contains("deleting") => {}
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

// --- reading -------------------------------------------------------------------------------

/// One resource's tags (ListTagsForResource); see [`AwsRead::tags_for`] for when it is needed.
async fn tags_of(read: &AwsRead<'_>, arn: &str) -> Result<TagSet, StepError> {
    tags_by_arn!(
        read,
        "elasticache",
        elasticache,
        resource_name,
        tag_list,
        arn,
        |t| { Some((t.key?, t.value.unwrap_or_default())) }
    )
}

fn sorted(mut ids: Vec<String>) -> Value {
    ids.sort();
    json!(ids)
}

/// Whether `name` is the AWS name of a desired resource of `kind` (`name` property, else the
/// resource's name).
fn desired_named<'a>(read: &AwsRead<'a>, kind: K, name: &str) -> Option<&'a crate::plan::Resource> {
    read.desired_of(kind).find(|d| {
        d.properties
            .get("name")
            .or_else(|| d.properties.get("replicationGroupId"))
            .and_then(Value::as_str)
            .unwrap_or(&d.name)
            == name
    })
}

/// Subnet groups, parameter groups and replication groups (one describe per page each, all of
/// the account's, filtered here), the replication groups' member clusters (one
/// DescribeCacheClusters per page: a group's engine version, parameter group and security groups
/// are on its members), each owned parameter group's values (DescribeCacheParameters takes one
/// group). Tags come from the tagging API's answer ([`AwsRead::tags_for`]): ElastiCache's
/// describes carry none.
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    // The kinds' listings at once; each kind's further reads wait only for its own listing.
    let (subnet_groups, parameter_groups, replication_groups) = futures::try_join!(
        read_subnet_groups(read),
        read_parameter_groups(read),
        read_replication_groups(read),
    )?;
    Ok([subnet_groups, parameter_groups, replication_groups].concat())
}

/// Subnet groups named for the blueprint and tagged for it.
async fn read_subnet_groups(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let ec = &read.conn.clients.elasticache;
    let prefix = read.name_prefix();
    let mut found = Vec::new();
    let pages = all_pages!(
        ec.describe_cache_subnet_groups()
            .max_records(100)
            .into_paginator()
            .send()
    );
    for g in pages
        .into_iter()
        .flat_map(|p| p.cache_subnet_groups.unwrap_or_default())
    {
        let Some(name) = g
            .cache_subnet_group_name()
            .filter(|n| n.starts_with(&prefix))
        else {
            continue;
        };
        let arn = rx_arn(read, "subnetgroup", name);
        let desired = desired_named(read, K::CacheSubnetGroup, name).is_some();
        let Some(tags) = read.tags_for(&arn, desired, || tags_of(read, &arn)).await? else {
            continue;
        };
        let Some(address) = read.owned(&tags) else {
            continue;
        };
        let subnets: Vec<String> = g
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier().map(str::to_string))
            .collect();
        let subnets = super::eks::by_zone(read, subnets).await?;
        found.push(
            Found::new(K::CacheSubnetGroup, &arn)
                .at(Some(address))
                .named(name)
                .with("name", name)
                .with(
                    "description",
                    g.cache_subnet_group_description().unwrap_or_default(),
                )
                .with("subnets", json!(subnets))
                .with("tags", tags::to_value(&tags))
                .output("arn", arn.as_str())
                .output("name", name),
        );
    }

    Ok(found)
}

/// Parameter groups named for the blueprint, each owned one with its user-set values
/// (DescribeCacheParameters takes one group): every group's at once.
async fn read_parameter_groups(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let ec = &read.conn.clients.elasticache;
    let pages = all_pages!(
        ec.describe_cache_parameter_groups()
            .max_records(100)
            .into_paginator()
            .send()
    );
    let groups = pages
        .into_iter()
        .flat_map(|p| p.cache_parameter_groups.unwrap_or_default());
    let found =
        futures::future::try_join_all(groups.map(|g| parameter_group_found(read, g))).await?;
    Ok(found.into_iter().flatten().collect())
}

async fn parameter_group_found(
    read: &AwsRead<'_>,
    g: aws_sdk_elasticache::types::CacheParameterGroup,
) -> Result<Option<Found>, StepError> {
    let ec = &read.conn.clients.elasticache;
    let prefix = read.name_prefix();
    let Some(name) = g.cache_parameter_group_name() else {
        return Ok(None);
    };
    let desired = desired_named(read, K::CacheParameterGroup, name);
    if desired.is_none() && !name.starts_with(&prefix) {
        return Ok(None);
    }
    let arn = rx_arn(read, "parametergroup", name);
    // The values (settings: not for destroy) are read beside the group's own tag read where
    // the tagging API's answer does not list it.
    let values = || async {
        if read.inventory {
            return Ok(Vec::new());
        }
        Ok::<_, StepError>(all_pages!(
            ec.describe_cache_parameters()
                .cache_parameter_group_name(name)
                .source("user")
                .into_paginator()
                .send()
        ))
    };
    let listed = read.tagged().await?.get(&arn).cloned();
    let (tags, address, pages) = match (listed, desired) {
        (Some(tags), _) => {
            let Some(address) = read.owned(&tags) else {
                return Ok(None);
            };
            (tags, address, values().await?)
        }
        (None, None) => return Ok(None),
        (None, Some(d)) => {
            let (tags, pages) = futures::join!(tags_of(read, &arn), values());
            match not_found_as_none(tags) {
                Ok(Some(tags)) => {
                    let Some(address) = read.owned(&tags) else {
                        return Ok(None);
                    };
                    (tags, address, pages?)
                }
                Ok(None) => return Ok(None),
                // An endpoint that cannot tag parameter groups (the emulator answers
                // InvalidARN) leaves the blueprint's derived name as the only sign of
                // ownership: read by name.
                Err(e) if e.code == "InvalidARN" => (
                    tags::from_properties(&d.properties),
                    d.address.clone(),
                    pages?,
                ),
                Err(e) => return Err(e),
            }
        }
    };
    let mut parameters = Map::new();
    for p in pages
        .into_iter()
        .flat_map(|p| p.parameters.unwrap_or_default())
    {
        if let (Some(k), Some(v)) = (p.parameter_name, p.parameter_value) {
            parameters.insert(k, Value::from(v));
        }
    }
    Ok(Some(
        Found::new(K::CacheParameterGroup, &arn)
            .at(Some(address))
            .named(name)
            .with("name", name)
            .with(
                "family",
                g.cache_parameter_group_family().unwrap_or_default(),
            )
            .with("description", g.description().unwrap_or_default())
            .with("parameters", Value::Object(parameters))
            .with("tags", tags::to_value(&tags))
            .output("arn", arn.as_str())
            .output("name", name),
    ))
}

/// Replication groups tagged for the blueprint, with the settings only their member clusters
/// carry (one DescribeCacheClusters per page for all of them: beside the groups' listing when
/// the blueprint has a group, else only once an owned group is found).
async fn read_replication_groups(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let ec = &read.conn.clients.elasticache;
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
        let arn = g
            .arn()
            .map_or_else(|| rx_arn(read, "replicationgroup", id), str::to_string);
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
                rx_arn(read, "subnetgroup", subnet_group),
            )
            .with(
                "cacheParameterGroup",
                rx_arn(read, "parametergroup", parameter_group),
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

/// Every cache cluster by id (one DescribeCacheClusters per page).
async fn member_clusters(
    read: &AwsRead<'_>,
) -> Result<HashMap<String, aws_sdk_elasticache::types::CacheCluster>, StepError> {
    let ec = &read.conn.clients.elasticache;
    let pages = all_pages!(
        ec.describe_cache_clusters()
            .max_records(100)
            .into_paginator()
            .send()
    );
    Ok(pages
        .into_iter()
        .flat_map(|p| p.cache_clusters.unwrap_or_default())
        .filter_map(|c| Some((c.cache_cluster_id.clone()?, c)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_conflicts() {
        assert_eq!(
            arn("arn:aws-cn", "cn-north-1", "1", "subnetgroup", "demo-cache"),
            "arn:aws-cn:elasticache:cn-north-1:1:subnetgroup:demo-cache"
        );
        let e = in_use_is_conflict(StepError::fatal("CacheSubnetGroupInUse", "in use"));
        assert_eq!(e.class, crate::apply::ErrorClass::Conflict);
    }

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
