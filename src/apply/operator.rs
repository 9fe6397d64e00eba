//! The seam between the engine and a cloud: an [`Operator`] performs one step (the call and the
//! wait for readiness) and reports what it produced, or an error classified for retrying
//! (`step.rs` holds what a step is given and gives back).
//!
//! The AWS adapters implement it (`aws::operator::AwsOperator`); tests implement it with an
//! in-memory fake cloud.

use std::future::Future;

use super::schedule::Step;
use super::step::{Outputs, StepContext, StepError, StepRequest};

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

    /// Steps with the same key run one at a time (the serialisations AWS imposes: the AWS
    /// operator takes them from the kind's spec row). By default none.
    fn serialisation_key(&self, _step: &Step) -> Option<String> {
        None
    }
}
