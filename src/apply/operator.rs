//! The seam between the engine and a cloud: an [`Operator`] performs one step (the call and the
//! wait for readiness) and reports what it produced, or an error classified for retrying
//! (`step.rs` holds what a step is given and gives back).
//!
//! The AWS adapters implement it (`aws::operator::AwsOperator`); tests implement it with an
//! in-memory fake cloud.

use std::future::Future;

use serde_json::Value;

use super::schedule::Step;
use super::step::{Outputs, StepContext, StepError, StepRequest};
use crate::plan::ResourceKind;

/// Performs steps against a cloud. Implementations must make creates idempotent (client tokens,
/// or look up by ownership tag first): the executor retries, and a re-run after a crash repeats
/// steps that may have half-happened.
pub trait Operator: Sync {
    /// Performs `request` — the call and the wait for readiness — and returns the resource's
    /// outputs (ignored for deletes).
    fn perform(
        &self,
        request: &StepRequest,
        ctx: &StepContext<'_>,
    ) -> impl Future<Output = Result<Outputs, StepError>> + Send;

    /// Steps with the same key run one at a time. By default: one Fargate-profile operation at a
    /// time per cluster, which EKS enforces by rejecting concurrent ones.
    fn serialisation_key(&self, step: &Step) -> Option<String> {
        default_serialisation_key(step)
    }
}

/// The serialisations AWS imposes, as keys (see [`Operator::serialisation_key`]).
pub fn default_serialisation_key(step: &Step) -> Option<String> {
    match step.kind {
        ResourceKind::FargateProfile => {
            let cluster = step
                .desired
                .as_ref()
                .and_then(|p| p.get("cluster"))
                .or_else(|| step.observed.as_ref().and_then(|p| p.get("cluster")))
                .and_then(Value::as_str)
                .unwrap_or("");
            Some(format!("eks-fargate-profiles:{cluster}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::schedule::Operation;
    use crate::plan::Address;
    use serde_json::Map;

    fn step(kind: ResourceKind, cluster: Option<&str>) -> Step {
        let mut props = Map::new();
        if let Some(cluster) = cluster {
            props.insert("cluster".into(), Value::from(cluster));
        }
        Step {
            address: Address::new("x"),
            kind,
            name: "x".into(),
            operation: Operation::Delete,
            replacing: false,
            desired: None,
            observed: Some(props),
            changes: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    #[test]
    fn fargate_profiles_serialise_per_cluster() {
        assert_eq!(
            default_serialisation_key(&step(ResourceKind::FargateProfile, Some("cluster.eks"))),
            Some("eks-fargate-profiles:cluster.eks".into())
        );
        assert_eq!(
            default_serialisation_key(&step(ResourceKind::FargateProfile, None)),
            Some("eks-fargate-profiles:".into())
        );
        assert_eq!(
            default_serialisation_key(&step(ResourceKind::NodeGroup, Some("c"))),
            None
        );
    }
}
