//! [`AwsOperator`]: the executor's [`Operator`] for AWS, dispatching each step by kind and
//! operation to its service adapter (see `aws::services` for the adapters' rules).

use crate::apply::{Operation, Operator, Outputs, Step, StepContext, StepError, StepRequest};
use crate::plan::ResourceKind as K;

use super::config::Connection;
use super::services::{AwsStep, elbv2};

/// Performs steps against AWS for one blueprint.
#[derive(Debug, Clone)]
pub struct AwsOperator {
    pub conn: Connection,
    /// The blueprint's `metadata.name` (the ownership tag's value).
    pub blueprint: String,
    /// How deletes treat databases and caches.
    pub data: DataPolicy,
    /// Random per operator, that is per apply or destroy: the run's idempotency tokens differ
    /// from every earlier run's (see `services::AwsStep::client_token`).
    pub run: String,
}

/// What deleting a data-holding resource (RDS instance or cluster, ElastiCache replication
/// group) does. The schedule already refuses such deletes without `--allow-data-loss`; this says
/// how far the adapters may go once one is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataPolicy {
    /// Take a final snapshot before deleting (RDS `FinalDBSnapshotIdentifier`, ElastiCache
    /// `FinalSnapshotIdentifier`). On unless told not to.
    pub final_snapshot: bool,
    /// The user explicitly allowed losing data (`--allow-data-loss`): only then is AWS's deletion
    /// protection turned off to let the delete through.
    pub allow_data_loss: bool,
}

impl Default for DataPolicy {
    fn default() -> Self {
        DataPolicy {
            final_snapshot: true,
            allow_data_loss: false,
        }
    }
}

impl AwsOperator {
    pub fn new(conn: Connection, blueprint: impl Into<String>) -> Self {
        AwsOperator {
            conn,
            blueprint: blueprint.into(),
            data: DataPolicy::default(),
            run: super::services::random_token(),
        }
    }

    /// Sets how deletes treat databases and caches.
    pub fn with_data_policy(mut self, data: DataPolicy) -> Self {
        self.data = data;
        self
    }
}

impl Operator for AwsOperator {
    async fn perform(
        &self,
        request: &StepRequest,
        ctx: &StepContext<'_>,
    ) -> Result<Outputs, StepError> {
        let step = AwsStep {
            conn: &self.conn,
            blueprint: &self.blueprint,
            run: &self.run,
            data: self.data,
            request,
            engine: ctx,
        };
        super::services::perform(&step).await
    }

    /// The serialisations AWS imposes, from the kind's spec row (one Fargate-profile operation
    /// at a time per cluster: EKS rejects concurrent ones).
    fn serialisation_key(&self, step: &Step) -> Option<String> {
        step.kind
            .spec()
            .serialisation_key(step.desired.as_ref(), step.observed.as_ref())
    }
}

/// Each adapter's future is boxed: together they would make one future too large for a
/// thread's stack in debug builds (the SDK's futures are big).
pub(crate) async fn legacy_dispatch(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    use Operation::*;
    match (step.request.kind(), step.request.operation()) {
        // Kubernetes objects are deployed by `ops` with kube-rs, never scheduled here.
        (K::KubernetesObject, _) => Err(StepError::new(
            crate::apply::ErrorClass::Fatal,
            "NotAnAwsResource",
            "Kubernetes objects are deployed by the workload step, not the AWS executor",
        )),

        (K::LoadBalancer, Create) => Box::pin(elbv2::create_load_balancer(step)).await,
        (K::LoadBalancer, Update) => Box::pin(elbv2::update_load_balancer(step)).await,
        (K::LoadBalancer, Delete) => Box::pin(elbv2::delete_load_balancer(step)).await,
        (K::TargetGroup, Create) => Box::pin(elbv2::create_target_group(step)).await,
        (K::TargetGroup, Update) => Box::pin(elbv2::update_target_group(step)).await,
        (K::TargetGroup, Delete) => Box::pin(elbv2::delete_target_group(step)).await,
        (K::Listener, Create) => Box::pin(elbv2::create_listener(step)).await,
        (K::Listener, Update) => Box::pin(elbv2::update_listener(step)).await,
        (K::Listener, Delete) => Box::pin(elbv2::delete_listener(step)).await,
        (K::ListenerRule, Create) => Box::pin(elbv2::create_listener_rule(step)).await,
        (K::ListenerRule, Update) => Box::pin(elbv2::update_listener_rule(step)).await,
        (K::ListenerRule, Delete) => Box::pin(elbv2::delete_listener_rule(step)).await,

        // Kinds with an adapter file (`services::perform`) never reach this table.
        (kind, _) => Err(StepError::fatal(
            "NoAdapter",
            format!("no adapter performs {}", kind.as_str()),
        )),
    }
}
