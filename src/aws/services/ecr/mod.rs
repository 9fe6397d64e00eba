//! ecr: repositories (scan on push, tag mutability, AES256 encryption) and their lifecycle
//! policies. Repository names are unique per registry: a create that finds its name taken looks
//! the repository up and carries on with it. Each kind's adapter is its own file beside this
//! one; the repository's (`ecr_repository.rs`) reads the lifecycle policies too.

use aws_sdk_ecr::types::{ImageScanningConfiguration, Tag};
use serde_json::Value;

use super::{AwsResult, AwsStep, first_found, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::TagSet;

/// ECR's TagResource and UntagResource, by ARN (repositories).
pub(crate) struct EcrTags;

super::tag_api!(
    EcrTags,
    ecr,
    tag_resource / untag_resource,
    resource_arn,
    ecr_tags
);

pub(super) fn ecr_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// The scanning configuration ECR takes.
pub(super) fn scanning(scan_on_push: bool) -> ImageScanningConfiguration {
    ImageScanningConfiguration::builder()
        .scan_on_push(scan_on_push)
        .build()
}

pub(super) async fn describe(
    step: &AwsStep<'_>,
    name: &str,
) -> Result<Option<aws_sdk_ecr::types::Repository>, StepError> {
    let result = step
        .clients()
        .ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .aws();
    first_found(result, |r| r.repositories)
}

pub(super) fn policy_outputs(repository: &str) -> Outputs {
    let mut out = outputs(&policy_id(repository), None, None);
    out.insert("repositoryName".into(), Value::from(repository));
    out
}

pub(super) fn policy_id(repository: &str) -> String {
    format!("{repository}:lifecycle-policy")
}
