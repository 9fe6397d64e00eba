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

    /// Seconds from the create call until a resource of `kind` is ready in the emulator, for the
    /// kinds whose time does not depend on their properties (see [`PlanGraph::create_path`] for
    /// those that do: Auto Scaling groups, ECS services, State Manager associations).
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
            // Its first deployment rolls out (`ecs_ext.py`); without target groups that is all.
            "ecs_service" => &["ecs_deployment_rollout"],
            // Its instances launch; without target groups that is all.
            "autoscaling_group" => &["ec2_instance_create"],
            _ => &[],
        })
    }

    /// Seconds until a target registered in target groups with these health checks (interval ×
    /// healthy threshold, at AWS's pace) is `healthy` in all of them: the emulator's
    /// `elbv2_targets.py` scales each by `target_health_scale`.
    pub fn target_health_seconds(&self, checks: &[f64]) -> f64 {
        checks.iter().copied().fold(0.0, f64::max) * self.get(&["target_health_scale"])
    }

    /// Seconds a role or instance profile just created or changed cannot be used by the calls
    /// that assume it (`iam_propagation.py`): EKS's CreateCluster, CreateNodegroup,
    /// CreateFargateProfile and CreateAddon, Lambda's CreateFunction (a canary's), EC2's
    /// RunInstances.
    pub fn iam_propagation_seconds(&self) -> f64 {
        self.get(&["iam_propagation"])
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
            // DeleteAutoScalingGroup (ForceDelete) terminates its instances; the group is gone once
            // they are (`autoscaling_ext.py`: `ec2_instance_delete` after the call).
            "autoscaling_group" => &["ec2_instance_delete"],
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

/// A target group's health check when the plan does not say: Elastic Load Balancing's defaults
/// for HTTP target groups, interval 30 s and healthy threshold 5 (botocore `elbv2`
/// CreateTargetGroup: HealthCheckIntervalSeconds "the default is 30 seconds",
/// HealthyThresholdCount "the default is 5"), which moto keeps as the emulator's.
const DEFAULT_HEALTH_CHECK_SECONDS: f64 = 30.0 * 5.0;
/// AWS's default deregistration delay, which the shipped server groups keep.
const DEREGISTRATION_DELAY_SECONDS: f64 = 300.0;

/// A plan's resources and their dependencies, as the bench reads them from shinyctl.
#[derive(Debug, Clone, Default)]
pub struct PlanGraph {
    /// Address -> kind, for every resource the plan creates.
    pub kinds: BTreeMap<String, String>,
    /// Address -> the properties the plan gives it (`after`), where the emulator's time depends
    /// on them (a target group's health check, what an Auto Scaling group or ECS service
    /// registers in).
    pub properties: BTreeMap<String, Value>,
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
                if change["after"].is_object() {
                    graph
                        .properties
                        .insert(address.to_string(), change["after"].clone());
                }
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
            |address, kind| self.create_seconds(profile, address, kind),
            |dependency, dependent| self.create_edge_seconds(profile, dependency, dependent),
            false,
        )
    }

    /// The slowest chain of creates ending at a resource `ends` holds for (its address).
    pub fn create_path_to(
        &self,
        profile: &Profile,
        ends: impl Fn(&str) -> bool,
    ) -> (f64, Vec<String>) {
        self.longest_path_to(
            |address, kind| self.create_seconds(profile, address, kind),
            |dependency, dependent| self.create_edge_seconds(profile, dependency, dependent),
            false,
            ends,
        )
    }

    /// Whether the plan's `coredns` add-on runs CoreDNS on Fargate (`computeType`).
    fn coredns_on_fargate(&self) -> bool {
        self.properties
            .values()
            .any(|p| p["addonName"] == "coredns" && on_fargate(p))
    }

    /// The slowest chain of deletes (dependents first), with its total seconds.
    pub fn delete_path(&self, profile: &Profile) -> (f64, Vec<String>) {
        self.longest_path(
            |address, kind| self.delete_seconds(profile, address, kind),
            |_, _| 0.0,
            true,
        )
    }

    /// Seconds from `address`'s delete call until the emulator reports it gone.
    fn delete_seconds(&self, profile: &Profile, address: &str, kind: &str) -> f64 {
        match kind {
            // DeleteService leaves the service DRAINING until its tasks are STOPPING: each is
            // DEACTIVATING while its targets drain for the target groups' deregistration delay
            // (scaled as the emulator scales target health), then INACTIVE (`ecs_placement.py`);
            // the delete then waits until they are STOPPED, `ecs_task_stop` later.
            "ecs_service" => {
                let delays: Vec<f64> = self
                    .service_target_groups(address)
                    .iter()
                    .map(|tg| {
                        self.properties
                            .get(tg)
                            .and_then(|p| p["deregistrationDelaySeconds"].as_f64())
                            .unwrap_or(DEREGISTRATION_DELAY_SECONDS)
                    })
                    .collect();
                delays.into_iter().fold(0.0, f64::max) * profile.get(&["target_health_scale"])
                    + profile.get(&["ecs_task_stop"])
            }
            _ => profile.delete_seconds(kind),
        }
    }

    /// The target groups an ECS service registers its tasks in (`loadBalancers[].targetGroup`).
    fn service_target_groups(&self, address: &str) -> Vec<String> {
        self.properties
            .get(address)
            .and_then(|p| p["loadBalancers"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|lb| lb["targetGroup"].as_str().map(str::to_string))
            .collect()
    }

    /// Seconds from `address`'s create call until the emulator reports it ready.
    fn create_seconds(&self, profile: &Profile, address: &str, kind: &str) -> f64 {
        match kind {
            "ssm_association" => profile.association_seconds(self.instances_before(address)),
            // Its instances launch, are registered in its target groups once running
            // (`autoscaling_ext.py`), and the create waits until they pass the health check.
            "autoscaling_group" => {
                let groups = self.list_of(address, "targetGroups");
                profile.create_seconds(kind)
                    + profile.target_health_seconds(&self.health_checks(&groups))
            }
            // The deployment completes once it has lasted `ecs_deployment_rollout` and its tasks,
            // registered in the service's target groups as they are placed, are healthy there
            // (`ecs_ext.py`, `ecs_placement.py`): ECS's steady state behind a load balancer.
            "ecs_service" => {
                let groups = self.service_target_groups(address);
                profile
                    .create_seconds(kind)
                    .max(profile.target_health_seconds(&self.health_checks(&groups)))
            }
            _ => profile.create_seconds(kind),
        }
    }

    /// Seconds `dependent`'s create must wait after `dependency` is made, beyond its being made:
    /// IAM propagation, between a role (its policies, an instance profile) and the calls the
    /// emulator refuses until it has propagated (`iam_propagation.py`).
    fn create_edge_seconds(&self, profile: &Profile, dependency: &str, dependent: &str) -> f64 {
        let kind = |a: &str| self.kinds.get(a).map_or("", String::as_str);
        let iam = matches!(
            kind(dependency),
            "iam_role" | "iam_role_policy" | "iam_role_policy_attachment" | "iam_instance_profile"
        );
        let assumes = matches!(
            kind(dependent),
            "eks_cluster"
                | "node_group"
                | "fargate_profile"
                | "eks_addon"
                | "canary"
                | "ec2_instance"
        );
        if iam && assumes {
            profile.iam_propagation_seconds()
        } else {
            0.0
        }
    }

    /// The addresses in `address`'s property `name` (a list of references).
    fn list_of(&self, address: &str, name: &str) -> Vec<String> {
        self.properties
            .get(address)
            .and_then(|p| p[name].as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// Each target group's health check, interval × healthy threshold (AWS seconds).
    fn health_checks(&self, target_groups: &[String]) -> Vec<f64> {
        target_groups
            .iter()
            .map(|tg| {
                let check = self.properties.get(tg).map(|p| &p["healthCheck"]);
                match check.and_then(|c| {
                    Some(c["intervalSeconds"].as_f64()? * c["healthyThreshold"].as_f64()?)
                }) {
                    Some(seconds) => seconds,
                    None => DEFAULT_HEALTH_CHECK_SECONDS,
                }
            })
            .collect()
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
    /// `edge` gives the seconds between a dependency's end and its dependent's start (in the
    /// graph's own direction: dependency, dependent).
    fn longest_path(
        &self,
        weight: impl Fn(&str, &str) -> f64,
        edge: impl Fn(&str, &str) -> f64,
        reversed: bool,
    ) -> (f64, Vec<String>) {
        self.longest_path_to(weight, edge, reversed, |_| true)
    }

    /// [`PlanGraph::longest_path`] among the chains that end at a resource `ends` holds for
    /// (its address); `(0, [])` when there is none.
    fn longest_path_to(
        &self,
        weight: impl Fn(&str, &str) -> f64,
        edge: impl Fn(&str, &str) -> f64,
        reversed: bool,
        ends: impl Fn(&str) -> bool,
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
                .map(|&p| {
                    let (dependency, dependent) = if reversed {
                        (nodes[i].as_str(), nodes[p].as_str())
                    } else {
                        (nodes[p].as_str(), nodes[i].as_str())
                    };
                    (finish[p] + edge(dependency, dependent), p)
                })
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
        let Some(end) = (0..nodes.len())
            .filter(|&i| ends(nodes[i]))
            .max_by(|&a, &b| finish[a].total_cmp(&finish[b]))
        else {
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

/// The slowest chain of the apply, the workload's waits included, when the blueprint has one
/// (`deployments`, its Deployments as `(namespace, name)`; none: the AWS side's path). What the
/// workload waits for, and from when it can (physically, as shinyctl's apply now starts each
/// part: `ops::run` installs the controllers once what they need is made, ShinyProxy after the
/// whole AWS side):
/// - CoreDNS, when the plan's `coredns` add-on moves it to Fargate: its pods start again there
///   once the add-on and the Fargate profiles are made (the emulator rolls it out when the
///   add-on's compute type reaches the cluster: `kube.py`); the controllers and ShinyProxy
///   resolve names with it;
/// - the controllers' Deployments (`kube-system`), rolled out together once the cluster has
///   somewhere to run them (its node groups and Fargate profiles, its OIDC provider for their
///   roles) and DNS: the API server must find their webhooks served before the objects they
///   admit (a TargetGroupBinding, pods that get the load balancer's readiness gate) are applied;
/// - the workload's own Deployments (ShinyProxy), rolled out together once every AWS resource
///   is made (they name its endpoints, mount its file systems) and the controllers are up.
pub fn apply_path(
    profile: &Profile,
    graph: &PlanGraph,
    deployments: &[(String, String)],
) -> (f64, Vec<String>) {
    let aws = graph.create_path(profile);
    if deployments.is_empty() {
        return aws;
    }
    let rollout = profile.rollout_seconds();
    let then = |(at, chain): &(f64, Vec<String>), label: &str| {
        let mut chain = chain.clone();
        chain.push(label.to_string());
        (at + rollout, chain)
    };
    let compute = graph.create_path_to(profile, |address| {
        let kind = graph.kinds.get(address).map_or("", String::as_str);
        let coredns = graph
            .properties
            .get(address)
            .is_some_and(|p| p["addonName"] == "coredns");
        matches!(kind, "node_group" | "fargate_profile" | "iam_oidc_provider")
            || (kind == "eks_addon" && coredns)
    });
    let later = |a: (f64, Vec<String>), b: (f64, Vec<String>)| if b.0 > a.0 { b } else { a };
    // CoreDNS on Fargate runs once its add-on and the Fargate profiles are made; on nodes, once
    // they are (the compute above).
    let dns = if graph.coredns_on_fargate() {
        let fargate = graph.create_path_to(profile, |address| {
            let kind = graph.kinds.get(address).map_or("", String::as_str);
            let coredns = graph
                .properties
                .get(address)
                .is_some_and(|p| p["addonName"] == "coredns");
            kind == "fargate_profile" || (kind == "eks_addon" && coredns)
        });
        later(
            compute.clone(),
            then(&fargate, "workload: CoreDNS on Fargate (rollout)"),
        )
    } else {
        compute
    };
    let (controllers, own): (Vec<_>, Vec<_>) = deployments
        .iter()
        .partition(|(namespace, _)| namespace == "kube-system");
    let names = |group: &[&(String, String)]| {
        group
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ready = if controllers.is_empty() {
        dns
    } else {
        then(
            &dns,
            &format!("workload.controllers {} (rollout)", names(&controllers)),
        )
    };
    if own.is_empty() {
        return later(aws, ready);
    }
    then(
        &later(aws, ready),
        &format!("workload.deployment {} (rollout)", names(&own)),
    )
}

/// Whether an add-on's `configurationValues` set `computeType` to Fargate.
fn on_fargate(properties: &Value) -> bool {
    properties["configurationValues"]
        .as_str()
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .is_some_and(|c| c["computeType"] == "Fargate")
}

/// A rendered manifest's Deployment, `(namespace, name)`: `kind: Deployment` and its metadata's
/// `name` and `namespace` (the top-level keys of `shinyctl render`'s YAML, metadata indented by
/// two spaces and before the spec).
pub fn rendered_deployment(manifest: &str) -> Option<(String, String)> {
    if !manifest.lines().any(|l| l.trim_end() == "kind: Deployment") {
        return None;
    }
    let field = |key: &str| {
        manifest
            .lines()
            .find_map(|l| l.strip_prefix("  ")?.strip_prefix(key))
            .map(|v| v.trim().trim_matches('"').to_string())
    };
    Some((field("namespace:")?, field("name:")?))
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

    /// An Auto Scaling group and an ECS service behind target groups, a role an EKS cluster
    /// assumes, and an add-on moving CoreDNS to Fargate.
    fn servers() -> PlanGraph {
        let plan = r#"{"changes": [
            {"address": "tg.slow", "kind": "target_group",
             "after": {"healthCheck": {"intervalSeconds": 30, "healthyThreshold": 3}}},
            {"address": "tg.fast", "kind": "target_group",
             "after": {"healthCheck": {"intervalSeconds": 30, "healthyThreshold": 2}}},
            {"address": "tg.default", "kind": "target_group", "after": {}},
            {"address": "asg", "kind": "autoscaling_group",
             "after": {"targetGroups": ["tg.fast", "tg.slow"]}},
            {"address": "asg.bare", "kind": "autoscaling_group", "after": {"targetGroups": []}},
            {"address": "svc", "kind": "ecs_service",
             "after": {"loadBalancers": [{"targetGroup": "tg.default"}]}},
            {"address": "svc.quick", "kind": "ecs_service",
             "after": {"loadBalancers": [{"targetGroup": "tg.fast"}]}},
            {"address": "role", "kind": "iam_role"},
            {"address": "cluster", "kind": "eks_cluster"},
            {"address": "task", "kind": "ecs_task_definition"},
            {"address": "coredns", "kind": "eks_addon",
             "after": {"addonName": "coredns", "configurationValues": "{\"computeType\":\"Fargate\"}"}}
        ]}"#;
        let dot = "digraph shinyctl {\n  \"tg.slow\" -> \"asg\";\n  \"tg.fast\" -> \"asg\";\n  \
                   \"role\" -> \"cluster\";\n  \"role\" -> \"task\";\n}\n";
        PlanGraph::parse(plan, dot).expect("parses")
    }

    fn servers_profile() -> Profile {
        let mut p = profile();
        p.overlay(&serde_json::json!({"durations": {
            "ec2_instance_create": 0.5, "ec2_instance_delete": 0.5, "target_health_scale": 0.01,
            "ecs_deployment_rollout": 1, "iam_propagation": 0.2, "kube_deployment_rollout": 1,
            "ecs_task_stop": 0.5
        }}));
        p
    }

    #[test]
    fn an_auto_scaling_group_waits_for_its_slowest_target_group_health_check() {
        let (g, p) = (servers(), servers_profile());
        // Launched (0.5 s), then healthy in both groups: 3 × 30 s at the health scale.
        assert!((g.create_seconds(&p, "asg", "autoscaling_group") - 1.4).abs() < 1e-9);
        // No target group: running is all.
        assert_eq!(g.create_seconds(&p, "asg.bare", "autoscaling_group"), 0.5);
        assert_eq!(p.delete_seconds("autoscaling_group"), 0.5);
    }

    #[test]
    fn an_ecs_service_rolls_out_until_its_tasks_are_healthy() {
        let (g, p) = (servers(), servers_profile());
        // No health check in the plan: ELB's defaults, 5 × 30 s, outlast the rollout.
        assert!((g.create_seconds(&p, "svc", "ecs_service") - 1.5).abs() < 1e-9);
        // A quicker health check (2 × 30 s at 0.01): the rollout's second is longer.
        assert_eq!(g.create_seconds(&p, "svc.quick", "ecs_service"), 1.0);
    }

    #[test]
    fn an_ecs_service_is_deleted_once_its_targets_have_drained_and_its_tasks_stopped() {
        let (g, p) = (servers(), servers_profile());
        // ELB's default deregistration delay (300 s) at the health scale 0.01, then the stop.
        assert!((g.delete_seconds(&p, "svc", "ecs_service") - 3.5).abs() < 1e-9);
        // Other kinds keep the profile's own delete time.
        assert_eq!(g.delete_seconds(&p, "asg", "autoscaling_group"), 0.5);
    }

    #[test]
    fn iam_propagation_delays_only_what_assumes_the_role() {
        let (total, chain) = servers().create_path(&servers_profile());
        assert!((total - 10.2).abs() < 1e-9, "{total}");
        assert_eq!(chain, ["role", "cluster"]);
        let g = servers();
        assert_eq!(
            g.create_edge_seconds(&servers_profile(), "role", "task"),
            0.0
        );
    }

    /// A cluster with a node group and two add-ons: EFS's CSI driver (2 s here, after the nodes)
    /// and CoreDNS moved to Fargate.
    fn cluster(coredns_on_fargate: bool) -> PlanGraph {
        let compute = if coredns_on_fargate { "Fargate" } else { "EC2" };
        let plan = serde_json::json!({"changes": [
            {"address": "cluster", "kind": "eks_cluster"},
            {"address": "nodes", "kind": "node_group"},
            {"address": "efs", "kind": "eks_addon", "after": {"addonName": "aws-efs-csi-driver"}},
            {"address": "coredns", "kind": "eks_addon", "after": {
                "addonName": "coredns",
                "configurationValues": serde_json::json!({"computeType": compute}).to_string()
            }}
        ]})
        .to_string();
        let dot = "digraph shinyctl {\n  \"cluster\" -> \"nodes\";\n  \"nodes\" -> \"efs\";\n  \
                   \"cluster\" -> \"coredns\";\n}\n";
        PlanGraph::parse(&plan, dot).expect("parses")
    }

    fn eks_profile() -> Profile {
        let mut p = servers_profile();
        p.overlay(&serde_json::json!({"durations": {"eks_addon_create": 2}}));
        p
    }

    fn deployments() -> Vec<(String, String)> {
        vec![
            ("kube-system".into(), "aws-load-balancer-controller".into()),
            ("shinyproxy".into(), "shinyproxy".into()),
        ]
    }

    #[test]
    fn the_controllers_roll_out_once_the_nodes_are_up_and_the_proxy_after_everything() {
        let (total, chain) = apply_path(&eks_profile(), &cluster(false), &deployments());
        // The nodes at 12.5 s; the controllers' rollout (13.5 s) overlaps EFS's add-on (14.5 s);
        // ShinyProxy's after both.
        assert_eq!(total, 15.5);
        assert_eq!(
            chain,
            [
                "cluster",
                "nodes",
                "efs",
                "workload.deployment shinyproxy (rollout)"
            ]
        );
        // Without the proxy: the controllers alone end before the add-on.
        let (total, _) = apply_path(&eks_profile(), &cluster(false), &deployments()[..1]);
        assert_eq!(total, 14.5);
    }

    #[test]
    fn coredns_on_fargate_rolls_out_before_the_controllers() {
        let (total, chain) = apply_path(&eks_profile(), &cluster(true), &deployments()[..1]);
        // CoreDNS's add-on at 12 s, its pods on Fargate at 13 s, the controllers at 14 s; the
        // node group's EFS add-on ends at 14.5 s.
        assert_eq!(total, 14.5);
        let mut p = eks_profile();
        p.overlay(&serde_json::json!({"durations": {"kube_deployment_rollout": 2}}));
        let (total, chain_later) = apply_path(&p, &cluster(true), &deployments()[..1]);
        assert_eq!(total, 16.0);
        assert_eq!(
            chain_later,
            [
                "cluster",
                "coredns",
                "workload: CoreDNS on Fargate (rollout)",
                "workload.controllers aws-load-balancer-controller (rollout)"
            ]
        );
        assert_eq!(chain.last().map(String::as_str), Some("efs"));
    }

    #[test]
    fn without_a_workload_the_path_is_the_aws_side() {
        let g = cluster(true);
        assert_eq!(
            apply_path(&eks_profile(), &g, &[]),
            g.create_path(&eks_profile())
        );
    }

    #[test]
    fn rendered_deployments_are_found_by_kind() {
        let deployment = "# Rendered offline\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  \
                          name: shinyproxy\n  namespace: shiny-apps\n  labels:\n    name: x\n";
        assert_eq!(
            rendered_deployment(deployment),
            Some(("shiny-apps".into(), "shinyproxy".into()))
        );
        let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: n\n";
        assert_eq!(rendered_deployment(service), None);
    }

    #[test]
    fn all_sets_every_known_key() {
        let mut p = profile();
        p.overlay(&serde_json::json!({"all": 0}));
        assert_eq!(p.create_seconds("eks_cluster"), 0.0);
    }
}
