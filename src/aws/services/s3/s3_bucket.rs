//! An S3 bucket: tags, versioning, default encryption and the public access block. A bucket id
//! is its name. Buckets hold data: a delete is only reached with `--allow-data-loss`. The read
//! lists the blueprint's bucket names (`s3::names_in_region`), then each one's tags decide.

use aws_sdk_s3::types::{
    BucketVersioningStatus, Delete, ObjectIdentifier, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};

use serde_json::{Value, json};

use super::s3::{ensure_bucket, names_in_region};
use super::stages::{NOT_LISTED, Read, TAGGED, after, fallback, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, not_found_as_none, outputs,
};
use crate::apply::{Outputs, StepError};
use crate::aws::config::Connection;
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::storage::S3BucketProps;

pub(crate) struct S3Bucket;

impl Adapter for S3Bucket {
    // The three aspects of a bucket at once.
    const READS: &'static [Read] = &[
        first(("s3", "ListBuckets")),
        fallback(
            ("s3", "GetBucketTagging"),
            &[("s3", "ListBuckets")],
            NOT_LISTED,
        ),
        after(
            ("s3", "GetBucketVersioning"),
            &[("s3", "ListBuckets"), TAGGED],
        ),
        after(
            ("s3", "GetBucketEncryption"),
            &[("s3", "ListBuckets"), TAGGED],
        ),
        after(
            ("s3", "GetPublicAccessBlock"),
            &[("s3", "ListBuckets"), TAGGED],
        ),
    ];

    /// Buckets named `<blueprint>-…` in this region that carry our tags: ListBuckets (every page,
    /// filtered by AWS), tags from the tagging API's answer ([`AwsRead::owned_with`]; GetBucketTagging
    /// only for a desired bucket it does not list), and per owned bucket the three reads S3 has no
    /// batch form of (versioning, encryption, public access block: one bucket and one aspect per
    /// call), every bucket's and every aspect's at once; destroy's inventory
    /// ([`AwsRead::inventory`]) reads no aspect.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let prefix = read.name_prefix();
        let listed = names_in_region(read.conn, &prefix, LIST_PAGE).await?;
        let found =
            futures::future::try_join_all(listed.iter().map(|name| bucket_found(read, name)))
                .await?;
        Ok(found.into_iter().flatten().collect())
    }

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
        deleted(s3.delete_bucket().bucket(bucket).send().await.aws())
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

fn bucket_arn(conn: &Connection, bucket: &str) -> String {
    format!("{}:s3:::{bucket}", conn.partition.arn_prefix())
}

async fn bucket_tags(conn: &Connection, bucket: &str) -> Result<TagSet, StepError> {
    match conn
        .clients
        .s3
        .get_bucket_tagging()
        .bucket(bucket)
        .send()
        .await
        .aws()
    {
        Ok(out) => Ok(tags::from_pairs(
            out.tag_set().iter().map(|t| (t.key(), t.value())),
        )),
        Err(e) if e.code == "NoSuchTagSet" => Ok(TagSet::new()),
        Err(e) => Err(e),
    }
}

/// ListBuckets' page size here: AWS allows 1 to 10,000; unpaginated calls are refused for accounts
/// whose bucket quota is above 10,000 (botocore `s3` ListBuckets documentation).
const LIST_PAGE: i32 = 1000;

/// A listed bucket, if ours, with its configuration — not for destroy's inventory: the delete
/// takes only the bucket's name and empties every object version and delete marker whatever
/// the versioning (`S3Bucket::delete`), and the aspects name no other resource, so no delete's
/// order (`Schedule::from_plan`) comes from them.
async fn bucket_found(read: &AwsRead<'_>, name: &str) -> Result<Option<Found>, StepError> {
    let desired: Vec<_> = read.desired_of(K::S3Bucket).collect();
    let is_desired = desired.iter().any(|d| d.name == name);
    let arn = bucket_arn(read.conn, name);
    let read_tags = || async { bucket_tags(read.conn, name).await };
    let Some((address, tags, aspects)) = read
        .owned_with(&arn, is_desired, read_tags, || async {
            if read.inventory {
                return Ok(None);
            }
            futures::try_join!(
                bucket_versioning(read, name),
                bucket_encryption(read, name),
                public_access_block(read, name),
            )
            .map(Some)
        })
        .await?
    else {
        return Ok(None);
    };
    let f = Found::new(K::S3Bucket, name)
        .at(Some(address.clone()))
        .named(name)
        .with("bucket", name)
        .output("arn", arn.as_str());
    let Some((versioning, encryption, public_access)) = aspects else {
        return Ok(Some(f.with("tags", tags::to_value(&tags))));
    };
    let mut f = f;
    let manages_versioning = desired
        .iter()
        .any(|d| d.address == address && d.properties.contains_key("versioning"));
    match versioning {
        Some(BucketVersioningStatus::Enabled) => f = f.with("versioning", true),
        Some(_) => f = f.with("versioning", false),
        // Never enabled: "false" where the blueprint manages versioning, else nothing.
        None if manages_versioning => f = f.with("versioning", false),
        None => {}
    }
    if let Some(algorithm) = encryption {
        f = f.with("encryption", json!({ "sseAlgorithm": algorithm }));
    }
    if let Some(block) = public_access {
        f = f.with("publicAccessBlock", block);
    }
    Ok(Some(f.with("tags", tags::to_value(&tags))))
}

/// The bucket's versioning status (`None`: never enabled).
async fn bucket_versioning(
    read: &AwsRead<'_>,
    name: &str,
) -> Result<Option<BucketVersioningStatus>, StepError> {
    let out = read
        .clients()
        .s3
        .get_bucket_versioning()
        .bucket(name)
        .send()
        .await
        .aws()?;
    Ok(out.status().cloned())
}

/// The bucket's default encryption algorithm, if it has one.
async fn bucket_encryption(read: &AwsRead<'_>, name: &str) -> Result<Option<String>, StepError> {
    match read
        .clients()
        .s3
        .get_bucket_encryption()
        .bucket(name)
        .send()
        .await
        .aws()
    {
        Ok(out) => Ok(out
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map(|d| d.sse_algorithm().as_str().to_string())),
        Err(e) if e.code == "ServerSideEncryptionConfigurationNotFoundError" => Ok(None),
        Err(e) => Err(e),
    }
}

/// The bucket's public access block in the catalog's shape, if it has one.
async fn public_access_block(read: &AwsRead<'_>, name: &str) -> Result<Option<Value>, StepError> {
    match read
        .clients()
        .s3
        .get_public_access_block()
        .bucket(name)
        .send()
        .await
        .aws()
    {
        Ok(out) => Ok(out.public_access_block_configuration().map(|c| {
            json!({
                "blockPublicAcls": c.block_public_acls().unwrap_or(false),
                "ignorePublicAcls": c.ignore_public_acls().unwrap_or(false),
                "blockPublicPolicy": c.block_public_policy().unwrap_or(false),
                "restrictPublicBuckets": c.restrict_public_buckets().unwrap_or(false),
            })
        })),
        Err(e) if e.code == "NoSuchPublicAccessBlockConfiguration" => Ok(None),
        Err(e) => Err(e),
    }
}
