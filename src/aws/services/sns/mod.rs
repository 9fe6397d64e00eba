//! sns: the alarm topic and its subscriptions. CreateTopic and Subscribe are idempotent by name
//! and endpoint. An e-mail subscription stays "pending confirmation" until someone clicks the
//! link: that is its normal state, not something to wait for.

use aws_sdk_sns::types::Tag;
use serde_json::Value;

use super::{AwsRead, Found, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

/// SNS's TagResource and UntagResource, by ARN (topics).
pub struct SnsTags;

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

pub(super) fn topic_outputs(arn: &str, name: &str) -> Outputs {
    outputs(arn, Some(arn), Some(name))
}

/// Topics named with the blueprint's prefix (ListTopics, one call per page of 100), their tags
/// from the tagging API's answer ([`AwsRead::tags_for`]; ListTagsForResource only for a desired
/// topic it does not list), and the subscriptions of the owned topics: one ListSubscriptions per
/// page of 100 for the whole account, filtered here, rather than one ListSubscriptionsByTopic
/// per topic.
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let sns = &read.conn.clients.sns;
    let prefix = read.name_prefix();
    // The subscriptions beside the topics when the blueprint has a topic, else only once an
    // owned topic is found.
    let wanted = read.desired_of(K::SnsTopic).next().is_some();
    let (pages, early) = futures::try_join!(
        async { Ok::<_, StepError>(all_pages!(sns.list_topics().into_paginator().send())) },
        async {
            if wanted {
                list_subscriptions(read).await.map(Some)
            } else {
                Ok(None)
            }
        },
    )?;
    let arns = pages
        .into_iter()
        .flat_map(|page| page.topics.unwrap_or_default())
        .filter_map(|topic| topic.topic_arn)
        .filter(|arn| topic_name(arn).starts_with(&prefix));
    let mut found = Vec::new();
    let mut owned = Vec::new();
    for arn in arns {
        let name = topic_name(&arn).to_string();
        let desired = read.desired_of(K::SnsTopic).any(|d| {
            d.name == name || d.properties.get("name").and_then(Value::as_str) == Some(&name)
        });
        let Some(tags) = read
            .tags_for(&arn, desired, || topic_tags(read, &arn))
            .await?
        else {
            continue;
        };
        let Some(address) = read.owned(&tags) else {
            continue;
        };
        let mut f = Found::new(K::SnsTopic, &arn)
            .at(Some(address))
            .named(&name)
            .with("name", name.as_str())
            .with("tags", tags::to_value(&tags));
        f.outputs = topic_outputs(&arn, &name);
        found.push(f);
        owned.push(arn);
    }
    if owned.is_empty() {
        return Ok(found);
    }
    let subscriptions = match early {
        Some(listed) => listed,
        None => list_subscriptions(read).await?,
    };
    for s in subscriptions {
        let Some(arn) = s.topic_arn().filter(|t| owned.iter().any(|o| o == t)) else {
            continue;
        };
        let protocol = s.protocol().unwrap_or_default();
        let endpoint = s.endpoint().unwrap_or_default();
        // Pending subscriptions list as `PendingConfirmation` instead of an ARN.
        let id = match s.subscription_arn() {
            Some(sub) if sub.starts_with("arn:") => sub.to_string(),
            _ => format!("{arn}|{protocol}|{endpoint}"),
        };
        let mut f = Found::new(K::SnsSubscription, &id)
            .with("topic", arn)
            .with("protocol", protocol)
            .with("endpoint", endpoint)
            .output("topicArn", arn);
        if id.starts_with("arn:") {
            f = f.output("arn", id.as_str());
        }
        found.push(f);
    }
    Ok(found)
}

/// Every subscription in the account (one ListSubscriptions per page of 100).
async fn list_subscriptions(
    read: &AwsRead<'_>,
) -> Result<Vec<aws_sdk_sns::types::Subscription>, StepError> {
    let pages = all_pages!(
        read.conn
            .clients
            .sns
            .list_subscriptions()
            .into_paginator()
            .send()
    );
    Ok(pages
        .into_iter()
        .flat_map(|page| page.subscriptions.unwrap_or_default())
        .collect())
}

/// One topic's tags (ListTagsForResource).
async fn topic_tags(read: &AwsRead<'_>, arn: &str) -> Result<tags::TagSet, StepError> {
    tags_by_arn!(read, "sns", sns, resource_arn, tags, arn, |t| Some((
        t.key, t.value
    )))
}

/// `arn:aws:sns:us-east-1:123:demo-alarms` -> `demo-alarms`.
fn topic_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_from_arns() {
        assert_eq!(
            topic_name("arn:aws-cn:sns:cn-north-1:1:demo-alarms"),
            "demo-alarms"
        );
    }
}
