//! S3 buckets: tags, versioning, default encryption and the public access block.
//!
//! Buckets are global by name and their tags are not filterable in a list call, so they are read
//! by name: ListBuckets (paginated, filtered by AWS to the names `<blueprint>-…` in this region),
//! then each one's tags decide. A bucket id is its name. The adapter and reader are
//! `s3_bucket.rs`; here are the bucket calls the state lock shares with it (`aws::lock`) and the
//! listing by name.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use super::AwsResult;
use crate::apply::StepError;
use crate::aws::config::Connection;

/// Creates `bucket` in the connection's region; Ok(false) when we already own it.
///
/// Asks HeadBucket first: in us-east-1 a repeated CreateBucket by the owner answers 200, so the
/// create call alone cannot tell a new bucket from an old one.
pub(crate) async fn ensure_bucket(conn: &Connection, bucket: &str) -> Result<bool, StepError> {
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
pub(crate) fn taken(bucket: &str) -> StepError {
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

/// The names of the buckets named `prefix…` in the connection's region: ListBuckets with AWS
/// filtering (`prefix`, `bucket-region`), every page of `page_size` (ContinuationToken).
pub async fn names_in_region(
    conn: &Connection,
    prefix: &str,
    page_size: i32,
) -> Result<Vec<String>, StepError> {
    Ok(all_items!(
        conn.clients
            .s3
            .list_buckets()
            .prefix(prefix)
            .bucket_region(&conn.region)
            .max_buckets(page_size),
        buckets
    )
    .into_iter()
    // AWS filters by region; an answer without the region is taken as filtered.
    .filter(|b| b.bucket_region().is_none_or(|r| r == conn.region))
    .filter_map(|b| b.name().map(str::to_string))
    .collect())
}
