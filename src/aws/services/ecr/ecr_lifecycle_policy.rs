//! A repository's lifecycle policy (keep the last N images). PutLifecyclePolicy replaces the
//! policy: the same call creates and updates. Read with its repository (`ecr_repository.rs`):
//! one GetLifecyclePolicy per owned repository.

use super::ecr::policy_outputs;
use super::{Adapter, AwsResult, AwsStep, StepResult, deleted};
use crate::apply::StepError;
use crate::plan::ResourceKind;
use crate::plan::catalog::registry::EcrLifecyclePolicyProps;

pub(crate) struct EcrLifecyclePolicy;

impl Adapter for EcrLifecyclePolicy {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::EcrRepository);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EcrLifecyclePolicyProps = step.props()?;
        let repository = match step.existing("repositoryName") {
            Some(name) => name.to_string(),
            None => repository_name(step, &props)?,
        };
        step.clients()
            .ecr
            .put_lifecycle_policy()
            .repository_name(&repository)
            .lifecycle_policy_text(&props.policy_text)
            .send()
            .await
            .aws()?;
        Ok(policy_outputs(&repository))
    }

    /// The same call as the create: it puts the whole desired state.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        Self::create(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let repository = match step.existing("repositoryName") {
            Some(name) => name.to_string(),
            None => repository_name(step, &step.props::<EcrLifecyclePolicyProps>()?)?,
        };
        let ecr = &step.clients().ecr;
        deleted(
            ecr.delete_lifecycle_policy()
                .repository_name(&repository)
                .send()
                .await
                .aws(),
        )
    }
}

/// The repository's name when the create or the reader recorded none: the repository's own
/// outputs.
fn repository_name(
    step: &AwsStep<'_>,
    props: &EcrLifecyclePolicyProps,
) -> Result<String, StepError> {
    step.resolve(&format!("{}#name", props.repository))
}
