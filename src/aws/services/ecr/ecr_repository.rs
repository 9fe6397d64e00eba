//! An ECR repository (scan on push, tag mutability, AES256 encryption). Repository names are
//! unique per registry: a create that finds its name taken looks the repository up and carries
//! on with it.

use aws_sdk_ecr::types::{EncryptionConfiguration, EncryptionType, ImageTagMutability};

use super::ecr::{EcrTags, describe, ecr_tags, repository_outputs, scanning};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::registry::EcrRepositoryProps;

pub struct EcrRepository;

impl Adapter for EcrRepository {
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
        let name = step.existing("name").unwrap_or(step.name()).to_string();
        let result = step
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
}
