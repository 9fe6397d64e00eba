//! An ECR repository (scan on push, tag mutability, AES256 encryption). Repository names are
//! unique per registry: a create that finds its name taken looks the repository up and carries
//! on with it. The read finds each repository's lifecycle policy too.

use aws_sdk_ecr::types::{EncryptionConfiguration, EncryptionType, ImageTagMutability, Repository};
use serde_json::Value;

use super::ecr::{EcrTags, describe, ecr_tags, policy_id, policy_outputs, scanning};
use super::stages::{NOT_LISTED, Read, TAGGED, after, fallback, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, not_found_as_none, outputs,
    sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::registry::{
    EcrLifecyclePolicyProps, EcrRepositoryProps, ImageScanning, RepositoryEncryption,
};

pub(crate) struct EcrRepository;

impl Adapter for EcrRepository {
    // Every repository's policy at once.
    const READS: &'static [Read] = &[
        first(("ecr", "DescribeRepositories")),
        fallback(
            ("ecr", "ListTagsForResource"),
            &[("ecr", "DescribeRepositories")],
            NOT_LISTED,
        ),
        after(
            ("ecr", "GetLifecyclePolicy"),
            &[("ecr", "DescribeRepositories"), TAGGED],
        ),
    ];

    /// Repositories under the blueprint's namespace (`<blueprint>/...`; DescribeRepositories, one
    /// call per page of 1,000), their tags from the tagging API's answer ([`AwsRead::tags_for`]; one
    /// ListTagsForResource only for a desired repository it does not list), and each owned
    /// repository's lifecycle policy: one GetLifecyclePolicy each, as ECR has no batch read of
    /// policies (a policy the blueprint dropped must still be found to be deleted), all in flight
    /// at once (the rate-limit buckets and `--calls-in-flight` pace them); destroy's inventory
    /// ([`AwsRead::inventory`]) skips them, as a policy goes with its repository.
    ///
    /// The pace is ECR's read bucket (200 at once, then 20 a second: `apply::limits`, where its
    /// source is): a 100-app blueprint's policies are asked in one wave.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let ecr = &read.clients().ecr;
        let prefix = format!("{}/", read.blueprint);
        let repositories = all_items!(ecr.describe_repositories().max_results(1000), repositories)
            .into_iter()
            .filter(|r| r.repository_name().is_some_and(|n| n.starts_with(&prefix)));
        // Every repository's policy at once, each beside the repository's own tag read where the
        // tagging API's answer does not list it.
        let found =
            futures::future::try_join_all(repositories.map(|r| repository_found(read, r))).await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// One call: CreateRepository carries the tags, scanning and encryption, and its answer has
    /// everything the outputs need. A name already taken (an earlier attempt whose answer was
    /// lost) is looked up only then.
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EcrRepositoryProps = step.props()?;
        let name = &props.repository_name;
        let result = step
            .clients()
            .ecr
            .create_repository()
            .repository_name(name)
            .image_tag_mutability(ImageTagMutability::from(
                props.image_tag_mutability.as_str(),
            ))
            .image_scanning_configuration(scanning(props.image_scanning_configuration.scan_on_push))
            .encryption_configuration(
                EncryptionConfiguration::builder()
                    .encryption_type(EncryptionType::Aes256)
                    .build()
                    .map_err(|e| StepError::fatal("InvalidRequest", e.to_string()))?,
            )
            .set_tags(Some(ecr_tags(&step.tags())))
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
            Err(e) if e.code == "RepositoryAlreadyExistsException" => describe(step, name)
                .await?
                .map(|r| repository_outputs(&r))
                .ok_or(e),
            Err(e) => Err(e),
        }
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: EcrRepositoryProps = step.props()?;
        let name = &props.repository_name;
        let ecr = &step.clients().ecr;
        if step.changed("imageTagMutability") {
            ecr.put_image_tag_mutability()
                .repository_name(name)
                .image_tag_mutability(ImageTagMutability::from(
                    props.image_tag_mutability.as_str(),
                ))
                .send()
                .await
                .aws()?;
        }
        if step.changed("imageScanningConfiguration") {
            ecr.put_image_scanning_configuration()
                .repository_name(name)
                .image_scanning_configuration(scanning(
                    props.image_scanning_configuration.scan_on_push,
                ))
                .send()
                .await
                .aws()?;
        }
        let repository = describe(step, name).await?.ok_or_else(|| {
            StepError::fatal(
                "RepositoryNotFoundException",
                format!("no repository {name}"),
            )
        })?;
        let out = repository_outputs(&repository);
        sync_tags::<EcrTags>(step, repository.repository_arn().unwrap_or_default()).await?;
        Ok(out)
    }

    /// Deletes the repository with its images (`force`): destroy leaves nothing behind.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_name();
        let ecr = &step.clients().ecr;
        deleted(
            ecr.delete_repository()
                .repository_name(name)
                .force(true)
                .send()
                .await
                .aws(),
        )
    }
}

fn repository_outputs(r: &Repository) -> Outputs {
    let arn = r.repository_arn().unwrap_or_default();
    let mut out = outputs(arn, Some(arn), r.repository_name());
    if let Some(uri) = r.repository_uri() {
        out.insert("uri".into(), Value::from(uri));
    }
    out
}

/// The policy text in the catalog's form: ECR may re-indent it, so it is parsed and written
/// compactly (keys keep their order).
fn normalise_policy(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// A listed repository, if ours, and its lifecycle policy: one GetLifecyclePolicy each (ECR has
/// no batch read of policies); destroy's inventory ([`AwsRead::inventory`]) does not ask, as a
/// policy goes with its repository.
async fn repository_found(read: &AwsRead<'_>, r: Repository) -> Result<Vec<Found>, StepError> {
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
        .props(&EcrRepositoryProps {
            repository_name: name.to_string(),
            image_tag_mutability: r
                .image_tag_mutability()
                .map_or("MUTABLE", |m| m.as_str())
                .to_string(),
            image_scanning_configuration: ImageScanning {
                scan_on_push: r
                    .image_scanning_configuration()
                    .is_some_and(|c| c.scan_on_push()),
            },
            encryption_configuration: RepositoryEncryption {
                encryption_type: r
                    .encryption_configuration()
                    .map_or("AES256", |c| c.encryption_type().as_str())
                    .to_string(),
            },
        })
        .with("tags", tags::to_value(&tags));
    f.outputs = repository_outputs(&r);
    let mut found = vec![f];
    if let Some(text) = policy {
        let mut p =
            Found::new(K::EcrLifecyclePolicy, policy_id(name)).props(&EcrLifecyclePolicyProps {
                repository: arn.to_string(),
                policy_text: normalise_policy(&text),
            });
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
        read.clients()
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
