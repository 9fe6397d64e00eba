//! `cache`: ElastiCache for Redis OSS version, node type, shards and replicas.

use super::Problems;
use super::text::is_number;
use crate::blueprint::model::{Blueprint, ClusterMode};
use crate::blueprint::problem::{Problem, child};

const PATH: &str = "cache";
/// ElastiCache allows up to 500 nodes (or shards) in a cluster-mode-enabled replication group.
const MAX_NODES: u32 = 500;
const MAX_REPLICAS: u32 = 5;

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(cache) = &bp.cache else {
        return;
    };
    check_version(&cache.version, out);
    let parts: Vec<&str> = cache.node_type.split('.').collect();
    if parts.len() != 3 || parts[0] != "cache" || parts.iter().any(|p| p.is_empty()) {
        out.push(
            Problem::new(
                child(PATH, "nodeType"),
                format!("`{}` is not an ElastiCache node type", cache.node_type),
            )
            .hint("node types look like `cache.t4g.medium` or `cache.r7g.large`"),
        );
    }
    if !(1..=MAX_NODES).contains(&cache.shards) {
        out.push(
            Problem::new(
                child(PATH, "shards"),
                format!(
                    "{} shards; ElastiCache allows 1 to {MAX_NODES}",
                    cache.shards
                ),
            )
            .hint("most session stores need 1 to 3 shards"),
        );
    } else if cache.shards > 1 && cache.cluster_mode == ClusterMode::Disabled {
        out.push(
            Problem::new(
                child(PATH, "shards"),
                format!("{} shards need cluster mode", cache.shards),
            )
            .hint("set `clusterMode: enabled`, or `shards: 1`"),
        );
    }
    if cache.replicas_per_shard > MAX_REPLICAS {
        out.push(
            Problem::new(
                child(PATH, "replicasPerShard"),
                format!(
                    "{} replicas per shard; ElastiCache allows 0 to {MAX_REPLICAS}",
                    cache.replicas_per_shard
                ),
            )
            .hint("1 replica per shard is enough for automatic failover"),
        );
    } else if (1..=MAX_NODES).contains(&cache.shards)
        && cache.shards * (1 + cache.replicas_per_shard) > MAX_NODES
    {
        out.push(
            Problem::new(
                child(PATH, "shards"),
                format!(
                    "{} shards with {} replicas each make more than {MAX_NODES} nodes",
                    cache.shards, cache.replicas_per_shard
                ),
            )
            .hint(format!(
                "ElastiCache allows at most {MAX_NODES} nodes per replication group"
            )),
        );
    }
    for key in cache.parameters.keys() {
        if key.is_empty() || key.contains(char::is_whitespace) {
            out.push(
                Problem::new(
                    child(&child(PATH, "parameters"), key),
                    format!("`{key}` is not a parameter name"),
                )
                .hint("Redis parameter names are single words such as `maxmemory-policy`")
                .at_key(),
            );
        }
    }
}

/// ElastiCache for Redis OSS offers 4.0.10, 5.0.6, 6.0, 6.2, 7.0 and 7.1 (also written `6.x`).
fn check_version(version: &str, out: &mut Problems) {
    let parts: Vec<&str> = version.split('.').collect();
    let format_ok = matches!(parts.len(), 2 | 3)
        && is_number(parts[0])
        && parts[1..]
            .iter()
            .enumerate()
            .all(|(i, p)| is_number(p) || (i == 0 && parts.len() == 2 && *p == "x"));
    let major = parts[0].parse::<u32>().ok();
    if !format_ok {
        out.push(
            Problem::new(
                child(PATH, "version"),
                format!("`{version}` is not a Redis version"),
            )
            .hint("write it quoted, e.g. `version: \"7.1\"`"),
        );
    } else if !major.is_some_and(|m| (4..=7).contains(&m)) {
        out.push(
            Problem::new(
                child(PATH, "version"),
                format!("ElastiCache for Redis OSS has no version {version}"),
            )
            .hint("use one of 4.0.10, 5.0.6, 6.0, 6.2, 7.0, 7.1"),
        );
    } else if parts.len() == 3 && major.is_some_and(|m| m >= 6) {
        // ElastiCache answers InvalidParameterValue "Specific version selection is not allowed
        // for '6.2.6', please use '6.2'" (quoted in crossplane-contrib/provider-aws#1617).
        let asked = format!("{}.{}", parts[0], parts[1]);
        out.push(
            Problem::new(
                child(PATH, "version"),
                format!("from Redis 6 on, ElastiCache takes a major.minor version, not {version}"),
            )
            .hint(format!(
                "write `version: \"{asked}\"`: ElastiCache runs its newest patch and applies later ones itself"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, paths_after};
    use crate::blueprint::model::{Blueprint, Cache, ClusterMode};

    fn cache(bp: &mut Blueprint) -> &mut Cache {
        bp.cache.as_mut().unwrap()
    }

    #[test]
    fn versions() {
        assert_one(
            |bp| cache(bp).version = "seven".into(),
            "cache.version",
            "not a Redis version",
        );
        assert_one(
            |bp| cache(bp).version = "8.0".into(),
            "cache.version",
            "no version 8.0",
        );
        assert!(paths_after(|bp| cache(bp).version = "6.x".into()).is_empty());
        assert!(paths_after(|bp| cache(bp).version = "5.0.6".into()).is_empty());
        assert_one(
            |bp| cache(bp).version = "7.1.0".into(),
            "cache.version",
            "major.minor version, not 7.1.0",
        );
    }

    #[test]
    fn node_type() {
        assert_one(
            |bp| cache(bp).node_type = "t3.medium".into(),
            "cache.nodeType",
            "not an ElastiCache node type",
        );
    }

    /// A cache in cluster mode with two shards, which only a blueprint whose ShinyProxy runs
    /// once (or that has none) may have: see `proxy::check_cache_for_proxy`.
    fn clustered(bp: &mut Blueprint) -> &mut Cache {
        bp.proxy.as_mut().unwrap().replicas = 1;
        let cache = cache(bp);
        cache.cluster_mode = ClusterMode::Enabled;
        cache.shards = 2;
        cache
    }

    #[test]
    fn shards_and_replicas() {
        assert!(paths_after(|bp| _ = clustered(bp)).is_empty());
        assert_one(
            |bp| clustered(bp).cluster_mode = ClusterMode::Disabled,
            "cache.shards",
            "need cluster mode",
        );
        assert_one(|bp| clustered(bp).shards = 0, "cache.shards", "1 to 500");
        assert_one(|bp| clustered(bp).shards = 501, "cache.shards", "1 to 500");
        assert_one(
            |bp| clustered(bp).replicas_per_shard = 6,
            "cache.replicasPerShard",
            "0 to 5",
        );
        assert_one(
            |bp| {
                clustered(bp).shards = 100;
                cache(bp).replicas_per_shard = 5;
            },
            "cache.shards",
            "more than 500 nodes",
        );
    }
}
