//! An S3 bucket: tags, versioning, default encryption and the public access block. A bucket id
//! is its name. Buckets hold data: a delete is only reached with `--allow-data-loss`.

use aws_sdk_s3::types::{
    BucketVersioningStatus, Delete, ObjectIdentifier, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};

use super::s3::{bucket_arn, bucket_tags, ensure_bucket};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::catalog::storage::S3BucketProps;

pub struct S3Bucket;

impl Adapter for S3Bucket {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: S3BucketProps = step.props()?;
        let bucket = &props.bucket;
        let created = ensure_bucket(step.conn, bucket).await?;
        if !created {
            // Ours already (an interrupted run) — unless another blueprint owns it.
            let current = bucket_tags(step.conn, bucket).await?;
            if let Some(owner) = current.get(tags::BLUEPRINT_TAG)
                && owner != step.blueprint
            {
                return Err(StepError::fatal(
                    "BucketAlreadyOwnedByYou",
                    format!("bucket {bucket} belongs to blueprint {owner}"),
                ));
            }
        }
        configure(step, &props, bucket, true).await?;
        Ok(bucket_outputs(step, bucket))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: S3BucketProps = step.props()?;
        let bucket = step.existing_id()?;
        configure(step, &props, bucket, false).await?;
        Ok(bucket_outputs(step, bucket))
    }

    /// Empties the bucket (every object version and delete marker), then deletes it.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let bucket = step.existing_id()?;
        let s3 = &step.clients().s3;
        loop {
            let Some(page) =
                not_found_as_none(s3.list_object_versions().bucket(bucket).send().await.aws())?
            else {
                return Ok(Outputs::new());
            };
            let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
            let markers = page
                .delete_markers()
                .iter()
                .map(|m| (m.key(), m.version_id()));
            let objects: Vec<ObjectIdentifier> = versions
                .chain(markers)
                .filter_map(|(key, version)| {
                    ObjectIdentifier::builder()
                        .key(key?)
                        .set_version_id(version.map(str::to_string))
                        .build()
                        .ok()
                })
                .collect();
            if objects.is_empty() {
                break;
            }
            s3.delete_objects()
                .bucket(bucket)
                .delete(
                    Delete::builder()
                        .set_objects(Some(objects))
                        .quiet(true)
                        .build()
                        .map_err(|e| StepError::fatal("InvalidDelete", e.to_string()))?,
                )
                .send()
                .await
                .aws()?;
        }
        not_found_as_none(s3.delete_bucket().bucket(bucket).send().await.aws())?;
        Ok(Outputs::new())
    }
}

fn bucket_outputs(step: &AwsStep<'_>, bucket: &str) -> Outputs {
    let arn = bucket_arn(step.conn, bucket);
    outputs(bucket, Some(&arn), Some(bucket))
}

/// Applies tags, versioning, encryption and the public access block (all of them, or only the
/// changed ones).
async fn configure(
    step: &AwsStep<'_>,
    props: &S3BucketProps,
    bucket: &str,
    all: bool,
) -> Result<(), StepError> {
    let s3 = &step.clients().s3;
    if all || step.changed("tags") {
        put_tags(step, bucket, &step.tags()).await?;
    }
    if (all || step.changed("versioning"))
        && let Some(enabled) = props.versioning
    {
        // A bucket that never had versioning needs no call to stay without it.
        if enabled || !all {
            let status = if enabled {
                BucketVersioningStatus::Enabled
            } else {
                BucketVersioningStatus::Suspended
            };
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(VersioningConfiguration::builder().status(status).build())
                .send()
                .await
                .aws()?;
        }
    }
    if all || step.changed("encryption") {
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::from(
                        props.encryption.sse_algorithm.as_str(),
                    ))
                    .build()
                    .map_err(|e| StepError::fatal("InvalidEncryption", e.to_string()))?,
            )
            .build();
        s3.put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| StepError::fatal("InvalidEncryption", e.to_string()))?,
            )
            .send()
            .await
            .aws()?;
    }
    if all || step.changed("publicAccessBlock") {
        let block = props.public_access_block;
        s3.put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(block.block_public_acls)
                    .ignore_public_acls(block.ignore_public_acls)
                    .block_public_policy(block.block_public_policy)
                    .restrict_public_buckets(block.restrict_public_buckets)
                    .build(),
            )
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

/// S3 keeps a bucket's tags as one set that PutBucketTagging replaces whole (botocore's `s3`
/// model has only Put/Get/DeleteBucketTagging; S3 Control's TagResource is for buckets with
/// ABAC enabled), so the desired set is written in one call rather than through a `TagApi`'s
/// add and remove.
async fn put_tags(step: &AwsStep<'_>, bucket: &str, tags: &TagSet) -> Result<(), StepError> {
    let tagging = Tagging::builder()
        .set_tag_set(Some(
            tags.iter()
                .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
                .collect(),
        ))
        .build()
        .map_err(|e| StepError::fatal("InvalidTags", e.to_string()))?;
    step.clients()
        .s3
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .aws()
        .map(drop)
}
