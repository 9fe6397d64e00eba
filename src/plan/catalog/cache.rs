//! `cache`: ElastiCache Redis: security group, cache subnet group (data subnets), parameter
//! group (whose family and `cluster-enabled` must match the replication group) and the
//! replication group itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::security::{allow_clients, group};
use super::{Catalog, addresses as a};
use crate::blueprint::model::{Cache, ClusterMode};
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "cache";
pub(crate) const REDIS_PORT: u16 = 6379;
/// The keyspace events Spring Session's Redis sessions need (see `build`).
pub(crate) const SESSION_KEYSPACE_EVENTS: &str = "Egx";

/// A cache subnet group's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CacheSubnetGroupProps {
    /// The AWS name (unique per account and region).
    pub(crate) name: String,
    pub(crate) description: String,
    /// The subnets' addresses.
    pub(crate) subnets: Vec<String>,
}

/// A cache parameter group's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CacheParameterGroupProps {
    /// The AWS name (unique per account and region).
    pub(crate) name: String,
    /// `redis7`, `redis6.x`, ... (see [`redis_family`]).
    pub(crate) family: String,
    pub(crate) description: String,
    /// The values set on the group, by parameter name.
    pub(crate) parameters: BTreeMap<String, String>,
}

/// A Redis replication group's properties. Every one is set here (the blueprint's defaults are
/// `blueprint::defaults`), so the adapter has no default of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CacheReplicationGroupProps {
    /// The AWS name (shared with the subnet group).
    pub(crate) replication_group_id: String,
    pub(crate) description: String,
    pub(crate) engine: String,
    pub(crate) engine_version: String,
    pub(crate) cache_node_type: String,
    /// `enabled` or `disabled`.
    pub(crate) cluster_mode: String,
    /// Shards: 1 unless cluster mode is on.
    pub(crate) num_node_groups: u32,
    pub(crate) replicas_per_node_group: u32,
    pub(crate) automatic_failover: bool,
    pub(crate) multi_az: bool,
    pub(crate) transit_encryption: bool,
    pub(crate) at_rest_encryption: bool,
    pub(crate) port: u16,
    /// The subnet group's address.
    pub(crate) cache_subnet_group: String,
    /// The parameter group's address.
    pub(crate) cache_parameter_group: String,
    /// The security groups' addresses.
    pub(crate) security_groups: Vec<String>,
}

pub(crate) fn build(catalog: &mut Catalog) {
    let Some(cache) = catalog.bp.cache.clone() else {
        return;
    };
    let sg = group(catalog, a::CACHE_SG, "cache", "Redis", ORIGIN);
    catalog.push(sg);
    allow_clients(catalog, ORIGIN, a::CACHE_SG, REDIS_PORT, "Redis", ORIGIN);

    catalog.push(
        Resource::new(
            a::CACHE_SUBNET_GROUP,
            K::CacheSubnetGroup,
            catalog.names.cache(),
            ORIGIN,
        )
        .props(&CacheSubnetGroupProps {
            name: catalog.names.cache(),
            description: "shinyctl: cache subnets".into(),
            subnets: catalog.subnets("data"),
        }),
    );
    let cluster_mode = cache.cluster_mode == ClusterMode::Enabled;
    let mut parameters = cache.parameters.clone();
    parameters.insert(
        "cluster-enabled".into(),
        if cluster_mode { "yes" } else { "no" }.into(),
    );
    if catalog.bp.proxy_state_in_cache() {
        // ShinyProxy's sessions (Spring Session's indexed Redis repository) expire through
        // keyspace notifications; Spring would set them itself with `CONFIG SET`, which
        // ElastiCache refuses, so the parameter group sets them (`E` keyevent, `g` generic, `x`
        // expired: what Spring Session's ConfigureNotifyKeyspaceEventsAction adds). ElastiCache
        // docs: "Redis OSS-specific parameters", notify-keyspace-events is modifiable.
        parameters
            .entry("notify-keyspace-events".into())
            .or_insert_with(|| SESSION_KEYSPACE_EVENTS.into());
    }
    catalog.push(
        Resource::new(
            a::CACHE_PARAMETER_GROUP,
            K::CacheParameterGroup,
            catalog.names.cache_parameters(),
            "cache.parameters",
        )
        .props(&CacheParameterGroupProps {
            name: catalog.names.cache_parameters(),
            family: redis_family(&cache.version),
            description: "shinyctl: cache parameters".into(),
            parameters,
        }),
    );
    replication_group(catalog, &cache, cluster_mode);
}

/// Redis parameter-group families: `redis7` from 7 on, `redis6.x` for 6, `redis5.0` and older
/// as `major.minor`.
pub(crate) fn redis_family(version: &str) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next().unwrap_or("0");
    match major.parse::<u32>() {
        Ok(n) if n >= 7 => format!("redis{n}"),
        Ok(6) => "redis6.x".into(),
        _ => format!("redis{major}.{minor}"),
    }
}

fn replication_group(catalog: &mut Catalog, cache: &Cache, cluster_mode: bool) {
    let name = catalog.names.cache();
    let shards = if cluster_mode { cache.shards.max(1) } else { 1 };
    let replicas = cache.replicas_per_shard;
    // Failover needs a replica; cluster mode requires it to be on.
    let failover = replicas > 0 || cluster_mode;
    catalog.push(
        Resource::new(
            a::CACHE_REPLICATION_GROUP,
            K::CacheReplicationGroup,
            name.clone(),
            ORIGIN,
        )
        .props(&CacheReplicationGroupProps {
            replication_group_id: name,
            description: "shinyctl: sessions and app state".into(),
            engine: "redis".into(),
            engine_version: cache.version.clone(),
            cache_node_type: cache.node_type.clone(),
            cluster_mode: if cluster_mode { "enabled" } else { "disabled" }.into(),
            num_node_groups: shards,
            replicas_per_node_group: replicas,
            automatic_failover: failover,
            multi_az: replicas > 0,
            transit_encryption: cache.transit_encryption,
            at_rest_encryption: cache.at_rest_encryption,
            port: REDIS_PORT,
            cache_subnet_group: a::CACHE_SUBNET_GROUP.into(),
            cache_parameter_group: a::CACHE_PARAMETER_GROUP.into(),
            security_groups: vec![a::CACHE_SG.into()],
        }),
    );
}

/// The id AWS gives the first node, whose host metrics the CPU alarm watches.
pub(crate) fn first_node_id(replication_group: &str, cluster_mode: bool) -> String {
    if cluster_mode {
        format!("{replication_group}-0001-001")
    } else {
        format!("{replication_group}-001")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<CacheSubnetGroupProps>(K::CacheSubnetGroup);
        check_spec_fields::<CacheParameterGroupProps>(K::CacheParameterGroup);
        check_spec_fields::<CacheReplicationGroupProps>(K::CacheReplicationGroup);
    }

    #[test]
    fn redis_families() {
        assert_eq!(redis_family("7.1"), "redis7");
        assert_eq!(redis_family("6.2"), "redis6.x");
        assert_eq!(redis_family("5.0.6"), "redis5.0");
    }
}
