//! An SNS topic (the alarms' topic). CreateTopic is idempotent by name: a retry or a run after
//! a crash gets the same topic back. The read finds the topics' subscriptions too.

use serde_json::Value;

use super::sns::{SnsTags, sns_tags};
use super::stages::{NOT_LISTED, Read, fallback, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::monitoring::{SnsSubscriptionProps, SnsTopicProps};

pub(crate) struct SnsTopic;

impl Adapter for SnsTopic {
    // The subscriptions beside the topics.
    const READS: &'static [Read] = &[
        first(("sns", "ListTopics")),
        fallback(
            ("sns", "ListTagsForResource"),
            &[("sns", "ListTopics")],
            NOT_LISTED,
        ),
        first(("sns", "ListSubscriptions")),
    ];

    /// Topics named with the blueprint's prefix (ListTopics, one call per page of 100), their tags
    /// from the tagging API's answer ([`AwsRead::tags_for`]; ListTagsForResource only for a desired
    /// topic it does not list), and the subscriptions of the owned topics: one ListSubscriptions per
    /// page of 100 for the whole account, filtered here, rather than one ListSubscriptionsByTopic
    /// per topic.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let sns = &read.clients().sns;
        let prefix = read.name_prefix();
        // The subscriptions beside the topics when the blueprint has a topic, else only once an
        // owned topic is found.
        let wanted = read.desired_of(K::SnsTopic).next().is_some();
        let (topics, early) = futures::try_join!(
            async { Ok::<_, StepError>(all_items!(sns.list_topics(), topics)) },
            async {
                if wanted {
                    list_subscriptions(read).await.map(Some)
                } else {
                    Ok(None)
                }
            },
        )?;
        let arns = topics
            .into_iter()
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
                .props(&SnsTopicProps { name: name.clone() })
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
                .props(&SnsSubscriptionProps {
                    topic: arn.to_string(),
                    protocol: protocol.to_string(),
                    endpoint: endpoint.to_string(),
                })
                .output("topicArn", arn);
            if id.starts_with("arn:") {
                f = f.output("arn", id.as_str());
            }
            found.push(f);
        }
        Ok(found)
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: SnsTopicProps = step.props()?;
        let created = step
            .clients()
            .sns
            .create_topic()
            .name(&props.name)
            .set_tags(Some(sns_tags(&step.tags())))
            .send()
            .await
            .aws()?;
        let arn = created.topic_arn.ok_or_else(|| {
            StepError::fatal("TopicMissing", format!("no ARN for topic {}", props.name))
        })?;
        Ok(topic_outputs(&arn, &props.name))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        sync_tags::<SnsTags>(step, arn).await?;
        Ok(topic_outputs(arn, step.name()))
    }

    /// Deleting a topic also removes its subscriptions, pending ones included.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let sns = &step.clients().sns;
        deleted(sns.delete_topic().topic_arn(arn).send().await.aws())
    }
}

fn topic_outputs(arn: &str, name: &str) -> Outputs {
    outputs(arn, Some(arn), Some(name))
}

/// Every subscription in the account (one ListSubscriptions per page of 100).
async fn list_subscriptions(
    read: &AwsRead<'_>,
) -> Result<Vec<aws_sdk_sns::types::Subscription>, StepError> {
    Ok(all_items!(
        read.clients().sns.list_subscriptions(),
        subscriptions
    ))
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
