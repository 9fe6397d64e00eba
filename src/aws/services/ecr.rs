//! ecr: repositories (scan on push, tag mutability, AES256 encryption) and their lifecycle
//! policies. Repository names are unique per registry: a create that finds its name taken looks
//! the repository up and carries on with it.

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Tag,
};
use serde_json::{Value, json};

use super::{AwsResult, Cx, Found, ReadCx, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

fn ecr_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

fn scan_on_push(cx: &Cx<'_>) -> bool {
    cx.property("imageScanningConfiguration")
        .and_then(|c| c.get("scanOnPush"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn repository_outputs(r: &aws_sdk_ecr::types::Repository) -> Outputs {
    let arn = r.repository_arn().unwrap_or_default();
    let mut out = outputs(arn, Some(arn), r.repository_name());
    if let Some(uri) = r.repository_uri() {
        out.insert("uri".into(), Value::from(uri));
    }
    out
}

async fn describe(
    cx: &Cx<'_>,
    name: &str,
) -> Result<Option<aws_sdk_ecr::types::Repository>, StepError> {
    cx.call("ecr", "DescribeRepositories").await;
    let result = cx
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

/// One call: CreateRepository carries the tags, scanning and encryption, and its answer has
/// everything the outputs need. A name already taken (an earlier attempt whose answer was lost)
/// is looked up only then.
pub async fn create_repository(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    let name = cx.str("repositoryName").unwrap_or(cx.name()).to_string();
    let mutability = cx.opt_str("imageTagMutability").unwrap_or("MUTABLE");
    cx.call("ecr", "CreateRepository").await;
    let result = cx
        .clients()
        .ecr
        .create_repository()
        .repository_name(&name)
        .image_tag_mutability(ImageTagMutability::from(mutability))
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(scan_on_push(cx))
                .build(),
        )
        .encryption_configuration(
            EncryptionConfiguration::builder()
                .encryption_type(EncryptionType::Aes256)
                .build()
                .map_err(|e| StepError::fatal("InvalidRequest", e.to_string()))?,
        )
        .set_tags(Some(ecr_tags(&cx.tags())))
        .send()
        .await
        .aws();
    match result {
        Ok(created) => created
            .repository
            .map(|r| repository_outputs(&r))
            .ok_or_else(|| {
                StepError::fatal(
                    "RepositoryMissing",
                    format!("no repository {name} in the answer"),
                )
            }),
        // Created by an earlier attempt whose answer was lost.
        Err(e) if e.code == "RepositoryAlreadyExistsException" => describe(cx, &name)
            .await?
            .map(|r| repository_outputs(&r))
            .ok_or(e),
        Err(e) => Err(e),
    }
}

pub async fn update_repository(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    let name = cx.str("repositoryName").unwrap_or(cx.name()).to_string();
    let ecr = &cx.clients().ecr;
    if cx.changed("imageTagMutability") {
        cx.call("ecr", "PutImageTagMutability").await;
        ecr.put_image_tag_mutability()
            .repository_name(&name)
            .image_tag_mutability(ImageTagMutability::from(
                cx.opt_str("imageTagMutability").unwrap_or("MUTABLE"),
            ))
            .send()
            .await
            .aws()?;
    }
    if cx.changed("imageScanningConfiguration") {
        cx.call("ecr", "PutImageScanningConfiguration").await;
        ecr.put_image_scanning_configuration()
            .repository_name(&name)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(scan_on_push(cx))
                    .build(),
            )
            .send()
            .await
            .aws()?;
    }
    let repository = describe(cx, &name).await?.ok_or_else(|| {
        StepError::fatal(
            "RepositoryNotFoundException",
            format!("no repository {name}"),
        )
    })?;
    let out = repository_outputs(&repository);
    if cx.changed("tags") {
        let arn = repository.repository_arn().unwrap_or_default();
        let (set, remove) = tags::changes(&cx.observed_tags(), &cx.tags());
        if !set.is_empty() {
            cx.call("ecr", "TagResource").await;
            ecr.tag_resource()
                .resource_arn(arn)
                .set_tags(Some(ecr_tags(&set)))
                .send()
                .await
                .aws()?;
        }
        if !remove.is_empty() {
            cx.call("ecr", "UntagResource").await;
            ecr.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .aws()?;
        }
    }
    Ok(out)
}

/// Deletes the repository with its images (`force`): destroy leaves nothing behind.
pub async fn delete_repository(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    let name = cx.existing("name").unwrap_or(cx.name()).to_string();
    cx.call("ecr", "DeleteRepository").await;
    let result = cx
        .clients()
        .ecr
        .delete_repository()
        .repository_name(&name)
        .force(true)
        .send()
        .await
        .aws();
    not_found_as_none(result)?;
    Ok(Outputs::new())
}

/// Repository name for a lifecycle policy: recorded by the create or the reader, else the
/// repository's own outputs.
fn policy_repository(cx: &Cx<'_>) -> Result<String, StepError> {
    if let Some(name) = cx.existing("repositoryName") {
        return Ok(name.to_string());
    }
    let address = cx.str("repository")?;
    cx.resolve(&format!("{address}#name"))
}

fn policy_outputs(repository: &str) -> Outputs {
    let mut out = outputs(&policy_id(repository), None, None);
    out.insert("repositoryName".into(), Value::from(repository));
    out
}

fn policy_id(repository: &str) -> String {
    format!("{repository}:lifecycle-policy")
}

/// PutLifecyclePolicy replaces the policy: the same call creates and updates.
pub async fn put_lifecycle_policy(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    let repository = policy_repository(cx)?;
    cx.call("ecr", "PutLifecyclePolicy").await;
    cx.clients()
        .ecr
        .put_lifecycle_policy()
        .repository_name(&repository)
        .lifecycle_policy_text(cx.str("policyText")?)
        .send()
        .await
        .aws()?;
    Ok(policy_outputs(&repository))
}

pub async fn delete_lifecycle_policy(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    let repository = policy_repository(cx)?;
    cx.call("ecr", "DeleteLifecyclePolicy").await;
    let result = cx
        .clients()
        .ecr
        .delete_lifecycle_policy()
        .repository_name(&repository)
        .send()
        .await
        .aws();
    not_found_as_none(result)?;
    Ok(Outputs::new())
}

/// The policy text in the catalog's form: ECR may re-indent it, so it is parsed and written
/// compactly (keys keep their order).
fn normalise_policy(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// Repositories under the blueprint's namespace (`<blueprint>/...`; DescribeRepositories, one
/// call per page of 1,000), their tags from the tagging API's answer ([`ReadCx::tags_for`]; one
/// ListTagsForResource only for a desired repository it does not list), and each owned
/// repository's lifecycle policy: one GetLifecyclePolicy each, as ECR has no batch read of
/// policies (a policy the blueprint dropped must still be found to be deleted), all in flight
/// at once (the rate-limit buckets and `--calls-in-flight` pace them); destroy's inventory
/// ([`ReadCx::inventory`]) skips them, as a policy goes with its repository.
pub async fn read(rx: &ReadCx<'_>) -> Result<Vec<Found>, StepError> {
    let ecr = &rx.conn.clients.ecr;
    let prefix = format!("{}/", rx.blueprint);
    let pages = all_pages!(
        rx,
        "ecr",
        "DescribeRepositories",
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
        futures::future::try_join_all(repositories.map(|r| repository_found(rx, r))).await?;
    Ok(found.into_iter().flatten().collect())
}

/// A listed repository, if ours, and its lifecycle policy: one GetLifecyclePolicy each (ECR has
/// no batch read of policies); destroy's inventory ([`ReadCx::inventory`]) does not ask, as a
/// policy goes with its repository.
async fn repository_found(
    rx: &ReadCx<'_>,
    r: aws_sdk_ecr::types::Repository,
) -> Result<Vec<Found>, StepError> {
    let (Some(name), Some(arn)) = (r.repository_name(), r.repository_arn()) else {
        return Ok(Vec::new());
    };
    let desired = rx.is_desired(K::EcrRepository, name);
    let Some((address, tags, policy)) = rx
        .owned_with(
            arn,
            desired,
            || repository_tags(rx, arn),
            || async {
                if rx.inventory {
                    Ok(None)
                } else {
                    lifecycle_policy(rx, name).await
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
async fn lifecycle_policy(rx: &ReadCx<'_>, repository: &str) -> Result<Option<String>, StepError> {
    rx.call("ecr", "GetLifecyclePolicy").await;
    let policy = not_found_as_none(
        rx.conn
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
async fn repository_tags(rx: &ReadCx<'_>, arn: &str) -> Result<TagSet, StepError> {
    tags_by_arn!(rx, "ecr", ecr, resource_arn, tags, arn, |t| Some((
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
