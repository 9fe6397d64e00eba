//! `cache`: ElastiCache Redis: security group, cache subnet group (data subnets), parameter
//! group (whose family and `cluster-enabled` must match the replication group) and the
//! replication group itself.

use serde_json::{Map, Value, json};

use super::security::{allow_clients, group};
use super::{Catalog, addresses as a};
use crate::blueprint::model::{Cache, ClusterMode};
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "cache";
const REDIS_PORT: u16 = 6379;
/// The keyspace events Spring Session's Redis sessions need (see `build`).
pub(crate) const SESSION_KEYSPACE_EVENTS: &str = "Egx";

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
        .with("name", catalog.names.cache())
        .with("description", "shinyctl: cache subnets")
        .with("subnets", catalog.subnets("data")),
    );
    let cluster_mode = cache.cluster_mode == ClusterMode::Enabled;
    let mut parameters: Map<String, Value> = Map::new();
    let mut overrides = cache.parameters.clone();
    overrides.insert(
        "cluster-enabled".into(),
        if cluster_mode { "yes" } else { "no" }.into(),
    );
    if catalog.bp.proxy_state_in_cache() {
        // ShinyProxy's sessions (Spring Session's indexed Redis repository) expire through
        // keyspace notifications; Spring would set them itself with `CONFIG SET`, which
        // ElastiCache refuses, so the parameter group sets them (`E` keyevent, `g` generic, `x`
        // expired: what Spring Session's ConfigureNotifyKeyspaceEventsAction adds). ElastiCache
        // docs: "Redis OSS-specific parameters", notify-keyspace-events is modifiable.
        overrides
            .entry("notify-keyspace-events".into())
            .or_insert_with(|| SESSION_KEYSPACE_EVENTS.into());
    }
    for (key, value) in overrides {
        parameters.insert(key, Value::String(value));
    }
    catalog.push(
        Resource::new(
            a::CACHE_PARAMETER_GROUP,
            K::CacheParameterGroup,
            catalog.names.cache_parameters(),
            "cache.parameters",
        )
        .with("name", catalog.names.cache_parameters())
        .with("family", redis_family(&cache.version))
        .with("description", "shinyctl: cache parameters")
        .with("parameters", Value::Object(parameters)),
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
        .with("replicationGroupId", name)
        .with("description", "shinyctl: sessions and app state")
        .with("engine", "redis")
        .with("engineVersion", cache.version.clone())
        .with("cacheNodeType", cache.node_type.clone())
        .with(
            "clusterMode",
            if cluster_mode { "enabled" } else { "disabled" },
        )
        .with("numNodeGroups", shards)
        .with("replicasPerNodeGroup", replicas)
        .with("automaticFailover", failover)
        .with("multiAz", replicas > 0)
        .with("transitEncryption", cache.transit_encryption)
        .with("atRestEncryption", cache.at_rest_encryption)
        .with("port", REDIS_PORT)
        .with("cacheSubnetGroup", a::CACHE_SUBNET_GROUP)
        .with("cacheParameterGroup", a::CACHE_PARAMETER_GROUP)
        .with("securityGroups", json!([a::CACHE_SG])),
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

    #[test]
    fn redis_families() {
        assert_eq!(redis_family("7.1"), "redis7");
        assert_eq!(redis_family("6.2"), "redis6.x");
        assert_eq!(redis_family("5.0.6"), "redis5.0");
    }
}
