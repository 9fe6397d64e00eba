//! [`AwsOperator`]: the executor's [`Operator`] for AWS: each step goes to its kind's adapter
//! (`aws::services::perform`, the table `build.rs` generates; see `aws::services` for the
//! adapters' rules), and steps AWS runs one at a time are serialised as the kind's spec says.

use crate::apply::{Operator, Outputs, Step, StepContext, StepError, StepRequest};

use super::config::Connection;
use super::services::AwsStep;

/// Performs steps against AWS for one blueprint.
#[derive(Debug, Clone)]
pub struct AwsOperator {
    pub(crate) conn: Connection,
    /// The blueprint's `metadata.name` (the ownership tag's value).
    pub(crate) blueprint: String,
    /// How deletes treat databases and caches.
    pub(crate) data: DataPolicy,
    /// Random per operator, that is per apply or destroy: the run's idempotency tokens differ
    /// from every earlier run's (see `services::AwsStep::client_token`).
    pub(crate) run: String,
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
