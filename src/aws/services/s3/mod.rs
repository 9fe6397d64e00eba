//! S3 buckets: tags, versioning, default encryption and the public access block.
//!
//! Buckets are global by name and their tags are not filterable in a list call, so they are read
//! by name: ListBuckets (paginated, filtered by AWS to the names `<blueprint>-…` in this region),
//! then each one's tags decide. A bucket id is its name.

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
};
use serde_json::{Value, json};

use super::{AwsRead, AwsResult, Found};
use crate::apply::StepError;
use crate::aws::config::Connection;
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

pub(super) fn bucket_arn(conn: &Connection, bucket: &str) -> String {
    format!("{}:s3:::{bucket}", conn.partition.arn_prefix())
}

/// Creates `bucket` in the connection's region; Ok(false) when we already own it.
///
/// Asks HeadBucket first: in us-east-1 a repeated CreateBucket by the owner answers 200, so the
/// create call alone cannot tell a new bucket from an old one.
pub async fn ensure_bucket(conn: &Connection, bucket: &str) -> Result<bool, StepError> {
    match conn.clients.s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => return Ok(false),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {}
        Err(e) => {
            let e = crate::aws::errors::step_error(e);
            // HEAD answers carry no error code: 403 means someone else's bucket ("If the bucket
            // exists but you don't have permission to access it, HEAD returns 403 Forbidden").
            if e.message.contains("403") || e.code.contains("Forbidden") {
                return Err(taken(bucket));
            }
            return Err(e);
        }
    }
    create_bucket_here(conn, bucket).await
}

/// Creates `bucket` in the connection's region; false when it is ours already.
pub async fn create_bucket_here(conn: &Connection, bucket: &str) -> Result<bool, StepError> {
    let mut request = conn.clients.s3.create_bucket().bucket(bucket);
    // us-east-1 is the one region that refuses a location constraint.
    if conn.region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(conn.region.as_str()))
                .build(),
        );
    }
    match request.send().await.aws() {
        Ok(_) => Ok(true),
        Err(e) if e.code == "BucketAlreadyOwnedByYou" => Ok(false),
        // Someone else's: S3's own words ("The requested bucket name is not available") do not
        // say which bucket or what to do.
        Err(e) if e.code == "BucketAlreadyExists" => Err(taken(bucket)),
        Err(e) => Err(e),
    }
}

/// The bucket name `bucket` belongs to another AWS account (`BucketAlreadyExists`, or 403 on
/// HeadBucket): fatal, with what to do.
pub fn taken(bucket: &str) -> StepError {
    StepError::fatal(
        "BucketAlreadyExists",
        format!(
            "the S3 bucket name {bucket} is taken by another AWS account (bucket names are \
             global across all accounts); shinyctl's names end with your account and region, so \
             this one was claimed on purpose or by chance: rename the bucket in the blueprint \
             (`storage.buckets[].name`, or `metadata.name` for every bucket), or ask the owner to \
             delete it"
        ),
    )
}

pub(super) async fn bucket_tags(conn: &Connection, bucket: &str) -> Result<TagSet, StepError> {
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

/// The names of the buckets named `prefix…` in the connection's region: ListBuckets with AWS
/// filtering (`prefix`, `bucket-region`), every page of `page_size` (ContinuationToken), calling
/// `before_page` (the rate-limit token) before each request.
pub async fn names_in_region(
    conn: &Connection,
    prefix: &str,
    page_size: i32,
) -> Result<Vec<String>, StepError> {
    let mut pages = conn
        .clients
        .s3
        .list_buckets()
        .prefix(prefix)
        .bucket_region(&conn.region)
        .max_buckets(page_size)
        .into_paginator()
        .send();
    let mut names = Vec::new();
    loop {
        let Some(page) = pages.next().await else {
            break;
        };
        let page = page.aws()?;
        names.extend(
            page.buckets()
                .iter()
                // AWS filters by region; an answer without the region is taken as filtered.
                .filter(|b| b.bucket_region().is_none_or(|r| r == conn.region))
                .filter_map(|b| b.name().map(str::to_string)),
        );
    }
    Ok(names)
}

/// Buckets named `<blueprint>-…` in this region that carry our tags: ListBuckets (every page,
/// filtered by AWS), tags from the tagging API's answer ([`AwsRead::owned_with`]; GetBucketTagging
/// only for a desired bucket it does not list), and per owned bucket the three reads S3 has no
/// batch form of (versioning, encryption, public access block: one bucket and one aspect per
/// call), every bucket's and every aspect's at once.
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let prefix = read.name_prefix();
    let listed = names_in_region(read.conn, &prefix, LIST_PAGE).await?;
    let found =
        futures::future::try_join_all(listed.iter().map(|name| bucket_found(read, name))).await?;
    Ok(found.into_iter().flatten().collect())
}

/// A listed bucket, if ours, with its configuration.
async fn bucket_found(read: &AwsRead<'_>, name: &str) -> Result<Option<Found>, StepError> {
    let desired: Vec<_> = read.desired_of(K::S3Bucket).collect();
    let is_desired = desired.iter().any(|d| d.name == name);
    let arn = bucket_arn(read.conn, name);
    let read_tags = || async { bucket_tags(read.conn, name).await };
    let Some((address, tags, (versioning, encryption, public_access))) = read
        .owned_with(&arn, is_desired, read_tags, || async {
            futures::try_join!(
                bucket_versioning(read, name),
                bucket_encryption(read, name),
                public_access_block(read, name),
            )
        })
        .await?
    else {
        return Ok(None);
    };
    let mut f = Found::new(K::S3Bucket, name)
        .at(Some(address.clone()))
        .named(name)
        .with("bucket", name)
        .output("arn", arn.as_str());
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
        .conn
        .clients
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
        .conn
        .clients
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
        .conn
        .clients
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
