//! elasticache: cache subnet groups, parameter groups with their values, and the Redis
//! replication group (cluster mode on or off, transit and at-rest encryption).
//!
//! Names are unique per account and region, so creates look them up first. The replication group
//! is waited on until `available`; deletes wait until it is gone, after a final snapshot unless
//! the operator's [`DataPolicy`](crate::aws::operator::DataPolicy) says not to. Ids are ARNs (the
//! subnet group and the replication group share one name).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_elasticache::types::Tag;
use serde_json::{Map, Value, json};

use super::{AwsRead, AwsStep, Found, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

pub(super) fn cache_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn arn(partition: &str, region: &str, account: &str, kind: &str, name: &str) -> String {
    format!("{partition}:elasticache:{region}:{account}:{kind}:{name}")
}

pub(super) fn cx_arn(step: &AwsStep<'_>, kind: &str, name: &str) -> String {
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

/// The AWS name of the group at `address` (a reference resolved to its `name` output).
pub(super) fn reference_name(step: &AwsStep<'_>, address: &str) -> Result<String, StepError> {
    step.resolve(&format!(
        "{}#name",
        address.split('#').next().unwrap_or(address)
    ))
}

/// "In use" and "wrong state" answers are worth retrying later.
pub(super) fn in_use_is_conflict(e: StepError) -> StepError {
    if e.code.contains("InUse") || (e.code.starts_with("Invalid") && e.code.contains("State")) {
        StepError::conflict(e.code, e.message)
    } else {
        e
    }
}

/// ElastiCache's AddTagsToResource and RemoveTagsFromResource, by ARN (subnet, parameter and
/// replication groups).
pub struct ElastiCacheTags;

super::tag_api!(
    ElastiCacheTags,
    elasticache,
    add_tags_to_resource / remove_tags_from_resource,
    resource_name,
    cache_tags
);

/// The outputs of a subnet or parameter group (`kind` as in its ARN): its ARN is its id.
pub(super) fn group_outputs_by_name(step: &AwsStep<'_>, kind: &str, name: &str) -> Outputs {
    let arn = cx_arn(step, kind, name);
    outputs(&arn, Some(&arn), Some(name))
}

/// A replication group's outputs: its ARN, name and endpoint.
pub(super) fn group_outputs(g: &aws_sdk_elasticache::types::ReplicationGroup) -> Outputs {
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

/// Parameter values as strings, from a `parameters` object (a value that is no string as its
/// JSON text).
pub(super) fn parameter_map(value: Option<&Value>) -> BTreeMap<String, String> {
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
}
