//! The emulator's latency profile and the critical path it implies for a plan.
//!
//! The kinds' own estimates (`ResourceKind::create_seconds`, what `plan` prints) are AWS's
//! published times; the emulator's profile is those divided by 60, but not exactly (an RDS
//! instance also backs up after creating, a canary also starts, kinds without a transitional
//! state are ready at once). So the bench computes the physical limit from the profile the
//! emulator actually runs, over the plan's dependency graph.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

/// Seconds per profile key, e.g. `eks_cluster_create` -> 10.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    durations: BTreeMap<String, f64>,
}

impl Profile {
    /// Reads `path`; keys it lacks come from `defaults` (the emulator falls back the same way).
    pub fn load(path: &Path, defaults: &Path) -> Result<Profile> {
        let mut profile = Profile::default();
        for file in [defaults, path] {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let doc: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            profile.overlay(&doc);
        }
        Ok(profile)
    }

    fn overlay(&mut self, doc: &Value) {
        if let Some(all) = doc.get("all").and_then(Value::as_f64) {
            for value in self.durations.values_mut() {
                *value = all;
            }
        }
        if let Some(durations) = doc.get("durations").and_then(Value::as_object) {
            for (key, value) in durations {
                if let Some(seconds) = value.as_f64() {
                    self.durations.insert(key.clone(), seconds);
                }
            }
        }
    }

    fn get(&self, keys: &[&str]) -> f64 {
        keys.iter()
            .map(|k| self.durations.get(*k).copied().unwrap_or(0.0))
            .sum()
    }

    /// Seconds from the create call until a resource of `kind` is ready in the emulator.
    pub fn create_seconds(&self, kind: &str) -> f64 {
        self.get(match kind {
            "eks_cluster" => &["eks_cluster_create"],
            "node_group" => &["eks_nodegroup_create"],
            "fargate_profile" => &["eks_fargate_profile_create"],
            "eks_addon" => &["eks_addon_create"],
            "db_instance" | "db_cluster_instance" => {
                &["rds_instance_create", "rds_instance_backup"]
            }
            "db_cluster" => &["rds_cluster_create"],
            "cache_replication_group" => &["elasticache_replication_group_create"],
            "nat_gateway" => &["nat_gateway_create"],
            "ec2_instance" => &["ec2_instance_create"],
            "load_balancer" => &["load_balancer_create"],
            "efs_file_system" => &["efs_file_system_create"],
            "efs_mount_target" => &["efs_mount_target_create"],
            "canary" => &["canary_create", "canary_start"],
            // Its first deployment rolls out (`ecs_ext.py`).
            "ecs_service" => &["ecs_deployment_rollout"],
            // Its instances launch, then pass the target group's health check (the emulator:
            // healthy threshold × interval × `target_health_scale`; the shipped blueprints'
            // 2 × 30 s).
            "autoscaling_group" => {
                return self.get(&["ec2_instance_create"])
                    + HEALTH_CHECK_SECONDS * self.get(&["target_health_scale"]);
            }
            _ => &[],
        })
    }

    /// A State Manager association waits for its run: dispatched, then on its `targets`
    /// servers one at a time (none: done at once).
    pub fn association_seconds(&self, targets: usize) -> f64 {
        if targets == 0 {
            return 0.0;
        }
        self.get(&["ssm_association_dispatch"])
            + targets as f64 * self.get(&["ssm_association_target"])
    }

    /// Seconds from a Deployment's change until the Kubernetes stand-in reports it rolled out.
    pub fn rollout_seconds(&self) -> f64 {
        self.get(&["kube_deployment_rollout"])
    }

    /// Seconds from the delete call until a resource of `kind` is gone in the emulator.
    pub fn delete_seconds(&self, kind: &str) -> f64 {
        self.get(match kind {
            "eks_cluster" => &["eks_cluster_delete"],
            "node_group" => &["eks_nodegroup_delete"],
            "fargate_profile" => &["eks_fargate_profile_delete"],
            "eks_addon" => &["eks_addon_delete"],
            "db_instance" | "db_cluster_instance" => &["rds_instance_delete"],
            "db_cluster" => &["rds_cluster_delete"],
            "cache_replication_group" => &["elasticache_replication_group_delete"],
            "nat_gateway" => &["nat_gateway_delete"],
            "ec2_instance" => &["ec2_instance_delete"],
            "efs_file_system" => &["efs_file_system_delete"],
            "efs_mount_target" => &["efs_mount_target_delete"],
            "canary" => &["canary_stop"],
            // Secrets Manager's background deletion of a secret deleted without recovery.
            "secretsmanager_secret" => &["secretsmanager_secret_delete"],
            // Deregistration drains for the target group's delay (AWS's default 300 s, which the
            // shipped server groups keep), scaled as the emulator scales target health.
            "target_group_attachment" => {
                return DEREGISTRATION_DELAY_SECONDS * self.get(&["target_health_scale"]);
            }
            _ => &[],
        })
    }
}

/// The shipped server groups' health check: healthy threshold 2 × interval 30 s.
const HEALTH_CHECK_SECONDS: f64 = 60.0;
/// AWS's default deregistration delay, which the shipped server groups keep.
const DEREGISTRATION_DELAY_SECONDS: f64 = 300.0;

/// A plan's resources and their dependencies, as the bench reads them from shinyctl.
#[derive(Debug, Clone, Default)]
pub struct PlanGraph {
    /// Address -> kind, for every resource the plan creates.
    pub kinds: BTreeMap<String, String>,
    /// `(dependency, dependent)` pairs.
    pub edges: Vec<(String, String)>,
    /// shinyctl's own critical-path estimate (AWS's times), seconds.
    pub estimated_seconds: f64,
}

impl PlanGraph {
    /// From `plan --offline --json` and `graph --format dot`.
    pub fn parse(plan_json: &str, dot: &str) -> Result<PlanGraph> {
        let plan: Value = serde_json::from_str(plan_json).context("the plan is not JSON")?;
        let mut graph = PlanGraph {
            estimated_seconds: plan["critical_path"]["seconds"].as_f64().unwrap_or(0.0),
            ..PlanGraph::default()
        };
        for change in plan["changes"].as_array().into_iter().flatten() {
            if let (Some(address), Some(kind)) =
                (change["address"].as_str(), change["kind"].as_str())
            {
                graph.kinds.insert(address.to_string(), kind.to_string());
            }
        }
        graph.edges = dot_edges(dot);
        Ok(graph)
    }

    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Resources per kind.
    pub fn kind_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for kind in self.kinds.values() {
            *counts.entry(kind.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The slowest chain of creates (dependencies first), with its total seconds.
    pub fn create_path(&self, profile: &Profile) -> (f64, Vec<String>) {
        self.longest_path(
            |address, kind| match kind {
                "ssm_association" => profile.association_seconds(self.instances_before(address)),
                _ => profile.create_seconds(kind),
            },
            false,
        )
    }

    /// The slowest chain of deletes (dependents first), with its total seconds.
    pub fn delete_path(&self, profile: &Profile) -> (f64, Vec<String>) {
        self.longest_path(|_, kind| profile.delete_seconds(kind), true)
    }

    /// The EC2 instances `address` depends on (the servers an association runs on).
    fn instances_before(&self, address: &str) -> usize {
        self.edges
            .iter()
            .filter(|(dependency, dependent)| {
                dependent == address
                    && self
                        .kinds
                        .get(dependency)
                        .is_some_and(|k| k == "ec2_instance")
            })
            .count()
    }

    /// Longest path by node weight; `reversed` walks dependents before dependencies. Edges
    /// naming unknown resources are ignored; a cycle (shinyctl refuses them) yields what the
    /// acyclic part allows.
    fn longest_path(
        &self,
        weight: impl Fn(&str, &str) -> f64,
        reversed: bool,
    ) -> (f64, Vec<String>) {
        let nodes: Vec<&String> = self.kinds.keys().collect();
        let index: HashMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, a)| (a.as_str(), i))
            .collect();
        let mut before: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        let mut after: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (dependency, dependent) in &self.edges {
            let (Some(&d), Some(&t)) = (
                index.get(dependency.as_str()),
                index.get(dependent.as_str()),
            ) else {
                continue;
            };
            let (first, then) = if reversed { (t, d) } else { (d, t) };
            before[then].push(first);
            after[first].push(then);
        }
        // Kahn's order, then the longest finish time per node.
        let mut waiting: Vec<usize> = before.iter().map(Vec::len).collect();
        let mut ready: Vec<usize> = (0..nodes.len()).filter(|&i| waiting[i] == 0).collect();
        let mut finish = vec![0.0_f64; nodes.len()];
        let mut via: Vec<Option<usize>> = vec![None; nodes.len()];
        while let Some(i) = ready.pop() {
            let start = before[i]
                .iter()
                .map(|&p| (finish[p], p))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((at, p)) = start {
                finish[i] = at;
                via[i] = Some(p);
            }
            finish[i] += weight(nodes[i], &self.kinds[nodes[i]]);
            for &n in &after[i] {
                waiting[n] -= 1;
                if waiting[n] == 0 {
                    ready.push(n);
                }
            }
        }
        let Some(end) = (0..nodes.len()).max_by(|&a, &b| finish[a].total_cmp(&finish[b])) else {
            return (0.0, Vec::new());
        };
        let mut chain = vec![nodes[end].clone()];
        let mut at = end;
        while let Some(p) = via[at] {
            chain.push(nodes[p].clone());
            at = p;
        }
        chain.reverse();
        (finish[end], chain)
    }
}

/// `"a" -> "b"` lines of shinyctl's dot output, unquoted.
fn dot_edges(dot: &str) -> Vec<(String, String)> {
    dot.lines()
        .filter_map(|line| {
            let (from, rest) = line.trim().split_once(" -> ")?;
            let to = rest.split(" [").next()?.trim_end_matches(';');
            Some((unquote(from), unquote(to)))
        })
        .collect()
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    s.replace("\\\"", "\"").replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        let mut p = Profile::default();
        p.overlay(&serde_json::json!({"durations": {
            "eks_cluster_create": 10, "eks_nodegroup_create": 2.5, "eks_cluster_delete": 5,
            "eks_nodegroup_delete": 2.5, "rds_instance_create": 4.5, "rds_instance_backup": 1
        }}));
        p
    }

    fn graph() -> PlanGraph {
        let plan = r#"{"changes": [
            {"address": "network.vpc", "kind": "vpc"},
            {"address": "cluster", "kind": "eks_cluster"},
            {"address": "cluster.proxy", "kind": "node_group"},
            {"address": "database.instance", "kind": "db_instance"}
        ], "critical_path": {"seconds": 750}}"#;
        let dot = "digraph shinyctl {\n  \"network.vpc\" -> \"cluster\";\n  \
                   \"cluster\" -> \"cluster.proxy\" [color=\"#d62728\", penwidth=2.5];\n  \
                   \"network.vpc\" -> \"database.instance\";\n}\n";
        PlanGraph::parse(plan, dot).expect("parses")
    }

    #[test]
    fn dot_edges_are_read_with_and_without_attributes() {
        let g = graph();
        assert_eq!(g.edges.len(), 3);
        assert!(
            g.edges
                .contains(&("cluster".into(), "cluster.proxy".into()))
        );
        assert_eq!(g.estimated_seconds, 750.0);
    }

    #[test]
    fn create_path_follows_the_slowest_chain() {
        let (total, chain) = graph().create_path(&profile());
        assert_eq!(total, 12.5);
        assert_eq!(chain, ["network.vpc", "cluster", "cluster.proxy"]);
    }

    #[test]
    fn delete_path_runs_dependents_first() {
        let (total, chain) = graph().delete_path(&profile());
        assert_eq!(total, 7.5);
        assert_eq!(chain, ["cluster.proxy", "cluster", "network.vpc"]);
    }

    #[test]
    fn a_rollout_has_its_own_key() {
        let mut p = profile();
        p.overlay(&serde_json::json!({"durations": {"kube_deployment_rollout": 1}}));
        assert_eq!(p.rollout_seconds(), 1.0);
    }

    #[test]
    fn rds_instances_also_back_up() {
        assert_eq!(profile().create_seconds("db_instance"), 5.5);
        assert_eq!(profile().create_seconds("vpc"), 0.0);
    }

    #[test]
    fn all_sets_every_known_key() {
        let mut p = profile();
        p.overlay(&serde_json::json!({"all": 0}));
        assert_eq!(p.create_seconds("eks_cluster"), 0.0);
    }
}
