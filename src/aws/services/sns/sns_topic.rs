//! An SNS topic (the alarms' topic). CreateTopic is idempotent by name: a retry or a run after
//! a crash gets the same topic back.

use super::sns::{SnsTags, sns_tags, topic_outputs};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::monitoring::SnsTopicProps;

pub struct SnsTopic;

impl Adapter for SnsTopic {
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
        let result = step
            .clients()
            .sns
            .delete_topic()
            .topic_arn(arn)
            .send()
            .await
            .aws();
        not_found_as_none(result)?;
        Ok(Outputs::new())
    }
}
