//! `shinyctl status`: what exists of the blueprint and how it is. Reads only what carries the
//! blueprint's ownership tags (the live reader), then asks AWS how those resources are
//! ([`crate::aws::health`]) and the cluster how the workload's rollout is. Changes nothing.
//!
//! The verdict maps to stable exit codes (`docs/ci.md`): everything present and healthy,
//! something missing, or something unhealthy or still changing.

use serde_json::Value;

use crate::aws::health::{self, Health, Verdict};
use crate::aws::{self, Target};
use crate::load::Loaded;
use crate::plan::{Action, Address, ObservedState, ResourceKind, diff};
use crate::workload::deploy::{RolloutState, rollout_state};

use super::entry_points::{EntryPoints, entry_points};
use super::workload::{ClusterState, read_cluster};
use super::{Error, Result, live};

/// Everything `status` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub(crate) blueprint: String,
    pub(crate) region: String,
    pub(crate) account: String,
    /// The desired AWS resources (not the workload's Kubernetes objects).
    pub(crate) desired: usize,
    /// Desired resources that do not exist, in the catalog's order.
    pub(crate) missing: Vec<Address>,
    /// Existing resources whose settings differ from the blueprint (`shinyctl plan` shows how).
    pub(crate) drifted: Vec<Address>,
    pub(crate) entry: EntryPoints,
    pub(crate) health: Vec<Health>,
    /// The proxy's Deployment, when the blueprint has a proxy.
    pub(crate) rollout: Option<Rollout>,
}

/// The workload's Deployment as `kubectl rollout status` would judge it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rollout {
    /// `namespace/name`, or the cluster when there is none to read.
    pub(crate) deployment: String,
    /// `complete`, `progressing`, `failed: …`, `not deployed`, `unreachable: …`.
    pub(crate) state: String,
    pub(crate) verdict: Verdict,
    /// `ready/desired` replicas when known.
    pub(crate) replicas: Option<(i64, i64)>,
}

/// The one-word answer, and the exit code it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overall {
    /// Everything exists and is healthy (exit 0).
    Healthy,
    /// Some of the blueprint's resources do not exist: not applied, or partly (exit 3).
    Incomplete,
    /// Everything exists, but something is unhealthy or still changing (exit 4).
    Degraded,
}

impl Overall {
    pub fn exit_code(self) -> u8 {
        match self {
            Overall::Healthy => 0,
            Overall::Incomplete => 3,
            Overall::Degraded => 4,
        }
    }

    pub(crate) fn word(self) -> &'static str {
        match self {
            Overall::Healthy => "healthy",
            Overall::Incomplete => "incomplete",
            Overall::Degraded => "degraded",
        }
    }
}

impl Status {
    pub fn overall(&self) -> Overall {
        let rollout_missing = self
            .rollout
            .as_ref()
            .is_some_and(|r| r.state.starts_with(NOT_DEPLOYED));
        if !self.missing.is_empty() || rollout_missing {
            return Overall::Incomplete;
        }
        let bad = |v: Verdict| matches!(v, Verdict::Pending | Verdict::Unhealthy);
        if self.health.iter().any(|h| bad(h.verdict))
            || self.rollout.as_ref().is_some_and(|r| bad(r.verdict))
        {
            Overall::Degraded
        } else {
            Overall::Healthy
        }
    }
}

const NOT_DEPLOYED: &str = "not deployed";
/// The proxy's Deployment (`workload::manifests`).
const PROXY_DEPLOYMENT: &str = crate::workload::NAME;

/// Reads the status of `loaded` in its region.
pub async fn status(loaded: &Loaded, target: Target) -> Result<Status> {
    let (conn, target, loaded) = live::connect(loaded, target).await?;
    let bp = &loaded.blueprint;
    let live_state = aws::read(&conn, &bp.metadata.name, &loaded.resources).await?;
    let plan = diff(&loaded.resources, &live_state.observed);
    let missing = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .map(|c| c.address.clone())
        .collect();
    let drifted = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Update | Action::Replace))
        .map(|c| c.address.clone())
        .collect();
    let health = health::read(&conn, &live_state.observed)
        .await
        .map_err(|error| {
            Error::Read(aws::ReadError {
                reader: "health",
                error,
            })
        })?;
    let rollout = match &bp.proxy {
        None => None,
        Some(_) => Some(rollout_of(
            &read_cluster(&conn, &target, &bp.metadata.name, &live_state).await,
        )),
    };
    Ok(Status {
        blueprint: bp.metadata.name.clone(),
        region: conn.region.clone(),
        account: conn.account.clone(),
        desired: loaded
            .resources
            .iter()
            .filter(|r| r.kind != ResourceKind::KubernetesObject)
            .count(),
        missing,
        drifted,
        entry: existing_entry_points(
            entry_points(
                bp,
                &loaded.source.name,
                &conn.region,
                &loaded.resources,
                &live_state.outputs,
            ),
            &live_state.observed,
        ),
        health,
        rollout,
    })
}

/// Only the entry points that exist: no URL without the load balancer, no cluster access
/// without the cluster (apply's entry points name the cluster it is about to make).
fn existing_entry_points(mut entry: EntryPoints, observed: &ObservedState) -> EntryPoints {
    let exists = |kind| observed.resources.iter().any(|r| r.kind == kind);
    if !exists(ResourceKind::LoadBalancer) {
        entry.url = None;
        entry.cname = None;
    }
    if !exists(ResourceKind::EksCluster) {
        entry.cluster = None;
    }
    entry
}

/// The proxy's rollout from what the cluster has of the workload.
pub(crate) fn rollout_of(cluster: &ClusterState) -> Rollout {
    let unknown = |state: String, verdict| Rollout {
        deployment: PROXY_DEPLOYMENT.into(),
        state,
        verdict,
        replicas: None,
    };
    match cluster {
        ClusterState::NoCluster => {
            unknown(format!("{NOT_DEPLOYED} (no cluster)"), Verdict::Unhealthy)
        }
        ClusterState::Unreachable(why) => {
            unknown(format!("unreachable: {why}"), Verdict::Unhealthy)
        }
        ClusterState::Objects(objects) => {
            let deployment = objects
                .iter()
                .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == PROXY_DEPLOYMENT);
            let Some(d) = deployment else {
                return unknown(NOT_DEPLOYED.into(), Verdict::Unhealthy);
            };
            let generation = d["metadata"]["generation"].as_i64().unwrap_or(0);
            let (state, verdict) = match rollout_state(d, generation) {
                RolloutState::Done => ("complete".to_string(), Verdict::Healthy),
                RolloutState::Progressing => ("progressing".to_string(), Verdict::Pending),
                RolloutState::Failed(why) => (format!("failed: {why}"), Verdict::Unhealthy),
            };
            let number = |v: &Value| v.as_i64().unwrap_or(0);
            Rollout {
                deployment: format!(
                    "{}/{}",
                    d["metadata"]["namespace"].as_str().unwrap_or("default"),
                    PROXY_DEPLOYMENT
                ),
                state,
                verdict,
                replicas: Some((
                    number(&d["status"]["readyReplicas"]),
                    d["spec"]["replicas"].as_i64().unwrap_or(1),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(ready: i64, updated: i64) -> Value {
        json!({
            "kind": "Deployment",
            "metadata": {"name": "shinyproxy", "namespace": "shinyproxy", "generation": 2},
            "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": updated,
                       "readyReplicas": ready, "availableReplicas": ready}
        })
    }

    #[test]
    fn the_rollout_is_judged_as_kubectl_does() {
        let done = rollout_of(&ClusterState::Objects(vec![deployment(2, 2)]));
        assert_eq!(
            (done.state.as_str(), done.verdict, done.replicas),
            ("complete", Verdict::Healthy, Some((2, 2)))
        );
        assert_eq!(done.deployment, "shinyproxy/shinyproxy");
        let rolling = rollout_of(&ClusterState::Objects(vec![deployment(1, 1)]));
        assert_eq!(rolling.verdict, Verdict::Pending);
        let none = rollout_of(&ClusterState::Objects(vec![]));
        assert_eq!(none.state, NOT_DEPLOYED);
    }

    fn status(missing: &[&str], verdicts: &[Verdict]) -> Status {
        Status {
            blueprint: "b".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            desired: 3,
            missing: missing.iter().map(|a| Address::new(*a)).collect(),
            drifted: vec![],
            entry: EntryPoints::default(),
            health: verdicts
                .iter()
                .map(|v| Health {
                    address: Address::new("x"),
                    kind: ResourceKind::LoadBalancer,
                    name: "x".into(),
                    state: "s".into(),
                    verdict: *v,
                    detail: None,
                    facts: None,
                })
                .collect(),
            rollout: None,
        }
    }

    #[test]
    fn missing_comes_before_unhealthy_and_unknown_is_not_a_failure() {
        assert_eq!(
            status(&[], &[Verdict::Healthy, Verdict::Unknown]).overall(),
            Overall::Healthy
        );
        assert_eq!(
            status(&[], &[Verdict::Pending]).overall(),
            Overall::Degraded
        );
        assert_eq!(
            status(&["network.vpc"], &[Verdict::Unhealthy]).overall(),
            Overall::Incomplete
        );
        assert_eq!(Overall::Incomplete.exit_code(), 3);
        assert_eq!(Overall::Degraded.exit_code(), 4);
    }
}
