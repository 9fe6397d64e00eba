//! ecr: repositories (scan on push, tag mutability, AES256 encryption) and their lifecycle
//! policies. Repository names are unique per registry: a create that finds its name taken looks
//! the repository up and carries on with it.

use aws_sdk_ecr::types::{ImageScanningConfiguration, Tag};
use serde_json::{Value, json};

use super::{AwsRead, AwsResult, AwsStep, Found, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

/// ECR's TagResource and UntagResource, by ARN (repositories).
pub struct EcrTags;

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

pub(super) fn repository_outputs(r: &aws_sdk_ecr::types::Repository) -> Outputs {
    let arn = r.repository_arn().unwrap_or_default();
    let mut out = outputs(arn, Some(arn), r.repository_name());
    if let Some(uri) = r.repository_uri() {
        out.insert("uri".into(), Value::from(uri));
    }
    out
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
    Ok(not_found_as_none(result)?
        .and_then(|r| r.repositories.unwrap_or_default().into_iter().next()))
}

pub(super) fn policy_outputs(repository: &str) -> Outputs {
    let mut out = outputs(&policy_id(repository), None, None);
    out.insert("repositoryName".into(), Value::from(repository));
    out
}

fn policy_id(repository: &str) -> String {
    format!("{repository}:lifecycle-policy")
}

/// The policy text in the catalog's form: ECR may re-indent it, so it is parsed and written
/// compactly (keys keep their order).
fn normalise_policy(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// Repositories under the blueprint's namespace (`<blueprint>/...`; DescribeRepositories, one
/// call per page of 1,000), their tags from the tagging API's answer ([`AwsRead::tags_for`]; one
/// ListTagsForResource only for a desired repository it does not list), and each owned
/// repository's lifecycle policy: one GetLifecyclePolicy each, as ECR has no batch read of
/// policies (a policy the blueprint dropped must still be found to be deleted), all in flight
/// at once (the rate-limit buckets and `--calls-in-flight` pace them); destroy's inventory
/// ([`AwsRead::inventory`]) skips them, as a policy goes with its repository.
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let ecr = &read.conn.clients.ecr;
    let prefix = format!("{}/", read.blueprint);
    let pages = all_pages!(
        ecr.describe_repositories()
            .max_results(1000)
            .into_paginator()
            .send()
    );
    let repositories = pages
        .into_iter()
        .flat_map(|page| page.repositories.unwrap_or_default())
        .filter(|r| r.repository_name().is_some_and(|n| n.starts_with(&prefix)));
    // Every repository's policy at once, each beside the repository's own tag read where the
    // tagging API's answer does not list it.
    let found =
        futures::future::try_join_all(repositories.map(|r| repository_found(read, r))).await?;
    Ok(found.into_iter().flatten().collect())
}

/// A listed repository, if ours, and its lifecycle policy: one GetLifecyclePolicy each (ECR has
/// no batch read of policies); destroy's inventory ([`AwsRead::inventory`]) does not ask, as a
/// policy goes with its repository.
async fn repository_found(
    read: &AwsRead<'_>,
    r: aws_sdk_ecr::types::Repository,
) -> Result<Vec<Found>, StepError> {
    let (Some(name), Some(arn)) = (r.repository_name(), r.repository_arn()) else {
        return Ok(Vec::new());
    };
    let desired = read.is_desired(K::EcrRepository, name);
    let Some((address, tags, policy)) = read
        .owned_with(
            arn,
            desired,
            || repository_tags(read, arn),
            || async {
                if read.inventory {
                    Ok(None)
                } else {
                    lifecycle_policy(read, name).await
                }
            },
        )
        .await?
    else {
        return Ok(Vec::new());
    };
    let mut f = Found::new(K::EcrRepository, arn)
        .at(Some(address))
        .named(name)
        .with("repositoryName", name)
        .with(
            "imageTagMutability",
            r.image_tag_mutability().map_or("MUTABLE", |m| m.as_str()),
        )
        .with(
            "imageScanningConfiguration",
            json!({"scanOnPush": r.image_scanning_configuration().is_some_and(|c| c.scan_on_push())}),
        )
        .with(
            "encryptionConfiguration",
            json!({"encryptionType": r.encryption_configuration().map_or("AES256", |c| c.encryption_type().as_str())}),
        )
        .with("tags", tags::to_value(&tags));
    f.outputs = repository_outputs(&r);
    let mut found = vec![f];
    if let Some(text) = policy {
        let mut p = Found::new(K::EcrLifecyclePolicy, policy_id(name))
            .with("repository", arn)
            .with("policyText", normalise_policy(&text));
        p.outputs = policy_outputs(name);
        found.push(p);
    }
    Ok(found)
}

/// `repository`'s lifecycle policy text, if it has one.
async fn lifecycle_policy(
    read: &AwsRead<'_>,
    repository: &str,
) -> Result<Option<String>, StepError> {
    let policy = not_found_as_none(
        read.conn
            .clients
            .ecr
            .get_lifecycle_policy()
            .repository_name(repository)
            .send()
            .await
            .aws(),
    )?;
    Ok(policy.and_then(|p| p.lifecycle_policy_text))
}

/// One repository's tags (ListTagsForResource).
async fn repository_tags(read: &AwsRead<'_>, arn: &str) -> Result<TagSet, StepError> {
    tags_by_arn!(read, "ecr", ecr, resource_arn, tags, arn, |t| Some((
        t.key, t.value
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_compared_compactly() {
        assert_eq!(normalise_policy("{ \"rules\" : [ ] }"), "{\"rules\":[]}");
        assert_eq!(normalise_policy("not json"), "not json");
    }
}
