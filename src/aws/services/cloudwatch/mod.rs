//! cloudwatch: metric alarms (the adapter and reader are `cloudwatch_alarm.rs`). The SDK speaks
//! the rpcv2-CBOR protocol here.

use aws_sdk_cloudwatch::types::Tag;

use crate::aws::tags::TagSet;

/// CloudWatch's TagResource and UntagResource, by ARN (alarms; botocore
/// `cloudwatch/2010-08-01`: `ResourceARN` with a list of `Tag`s).
pub(crate) struct CloudWatchTags;

super::tag_api!(
    CloudWatchTags,
    cloudwatch,
    tag_resource / untag_resource,
    resource_arn,
    cw_tags
);

pub(super) fn cw_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}
