//! An AWS-managed policy attached to a role. AttachRolePolicy twice is a no-op in IAM: the create
//! is idempotent as it is. The id is `<role name>|<policy ARN>`. The role's read finds the
//! attachments (`iam_role.rs`).

use super::iam::{attachment_outputs, role_name_of};
use super::{Adapter, AwsResult, AwsStep, StepResult, is_not_found};
use crate::apply::Outputs;
use crate::aws::errors::missing;
use crate::plan::ResourceKind;
use crate::plan::catalog::iam::IamRolePolicyAttachmentProps;

pub(crate) struct IamRolePolicyAttachment;

impl Adapter for IamRolePolicyAttachment {
    /// GetAccountAuthorizationDetails lists each role's attached policies: the role's read.
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::IamRole);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: IamRolePolicyAttachmentProps = step.props()?;
        let role_arn = step.resolve(&props.role)?;
        let role = role_name_of(&role_arn);
        step.clients()
            .iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(&props.policy_arn)
            .send()
            .await
            .aws()?;
        Ok(attachment_outputs(role, &props.policy_arn))
    }

    /// Both properties are replaced on: an update only ever changes tags, which attachments do
    /// not have, and attaching again is a no-op.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        Self::create(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        let (role, policy) = match (step.existing("roleName"), step.existing("policyArn")) {
            (Some(r), Some(p)) => (r, p),
            _ => id
                .split_once('|')
                .ok_or_else(|| missing(format!("{}: attachment id {id}", step.address())))?,
        };
        match step
            .clients()
            .iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(policy)
            .send()
            .await
            .aws()
        {
            Err(e) if !is_not_found(&e) => Err(e),
            _ => Ok(Outputs::new()),
        }
    }
}
