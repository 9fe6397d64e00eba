//! sns: the alarm topic and its subscriptions. CreateTopic and Subscribe are idempotent by name
//! and endpoint. An e-mail subscription stays "pending confirmation" until someone clicks the
//! link: that is its normal state, not something to wait for.

use aws_sdk_sns::types::Tag;
use serde_json::Value;

use super::{AwsResult, AwsStep, Found, AwsRead, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

fn sns_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

fn topic_outputs(arn: &str, name: &str) -> Outputs {
    outputs(arn, Some(arn), Some(name))
}

pub async fn create_topic(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    let created = step
        .clients()
        .sns
        .create_topic()
        .name(&name)
        .set_tags(Some(sns_tags(&step.tags())))
        .send()
        .await
        .aws()?;
    let arn = created
        .topic_arn
        .ok_or_else(|| StepError::fatal("TopicMissing", format!("no ARN for topic {name}")))?;
    Ok(topic_outputs(&arn, &name))
}

pub async fn update_topic(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    if step.changed("tags") {
        let (set, remove) = tags::changes(&step.observed_tags(), &step.tags());
        if !set.is_empty() {
            step.clients()
                .sns
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(sns_tags(&set)))
                .send()
                .await
                .aws()?;
        }
        if !remove.is_empty() {
            step.clients()
                .sns
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .aws()?;
        }
    }
    Ok(topic_outputs(&arn, step.name()))
}

/// Deleting a topic also removes its subscriptions, pending ones included.
pub async fn delete_topic(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    let result = step
        .clients()
        .sns
        .delete_topic()
        .topic_arn(&arn)
        .send()
        .await
        .aws();
    not_found_as_none(result)?;
    Ok(Outputs::new())
}

pub async fn subscribe(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let topic = step.reference("topic")?;
    let subscribed = step
        .clients()
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol(step.str("protocol")?)
        .endpoint(step.str("endpoint")?)
        .return_subscription_arn(true)
        .send()
        .await
        .aws()?;
    let arn = subscribed.subscription_arn.unwrap_or_default();
    let mut out = outputs(&arn, Some(&arn), None);
    out.insert("topicArn".into(), Value::from(topic));
    Ok(out)
}

/// Every property forces a replacement: nothing to do in place.
pub async fn update_subscription(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?;
    Ok(outputs(id, Some(id), None))
}

/// A pending subscription has no ARN of its own (it goes with its topic, or expires after three
/// days): nothing to unsubscribe.
pub async fn unsubscribe(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?.to_string();
    if !id.starts_with("arn:") {
        return Ok(Outputs::new());
    }
    let result = step
        .clients()
        .sns
        .unsubscribe()
        .subscription_arn(&id)
        .send()
        .await
        .aws();
    match result {
        Ok(_) => Ok(Outputs::new()),
        Err(e) if tags_say_gone(&e) => Ok(Outputs::new()),
        Err(e) => Err(e),
    }
}

/// NotFound, or InvalidParameter for a subscription that is still pending or already gone.
fn tags_say_gone(e: &StepError) -> bool {
    super::is_not_found(e) || e.code == "InvalidParameter"
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
        async {
            Ok::<_, StepError>(all_pages!(sns.list_topics().into_paginator().send()
            ))
        },
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
        let Some(tags) = read.tags_for(&arn, desired, || topic_tags(read, &arn)).await? else {
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
    let pages = all_pages!(read.conn
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
        assert!(tags_say_gone(&StepError::fatal("NotFound", "x")));
    }
}
