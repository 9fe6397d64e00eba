//! sns: the alarm topic and its subscriptions. CreateTopic and Subscribe are idempotent by name
//! and endpoint. An e-mail subscription stays "pending confirmation" until someone clicks the
//! link: that is its normal state, not something to wait for. Each kind's adapter is its own
//! file beside this one; the topic's (`sns_topic.rs`) reads the subscriptions too.

use aws_sdk_sns::types::Tag;

use crate::aws::tags::TagSet;

/// SNS's TagResource and UntagResource, by ARN (topics).
pub(crate) struct SnsTags;

super::tag_api!(
    SnsTags,
    sns,
    tag_resource / untag_resource,
    resource_arn,
    sns_tags
);

pub(super) fn sns_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}
