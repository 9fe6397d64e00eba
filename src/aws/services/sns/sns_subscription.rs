//! An SNS subscription (the alarm e-mail). Subscribe is idempotent by topic, protocol and
//! endpoint. An e-mail subscription stays "pending confirmation" until someone clicks the link:
//! that is its normal state, not something to wait for. Read with its topic (`sns_topic.rs`):
//! one ListSubscriptions per page for the account, filtered to our topics.

use serde_json::Value;

use super::{Adapter, AwsResult, AwsStep, StepResult, is_not_found, outputs};
use crate::apply::{Outputs, StepError};
use crate::plan::ResourceKind;
use crate::plan::catalog::monitoring::SnsSubscriptionProps;

pub(crate) struct SnsSubscription;

impl Adapter for SnsSubscription {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::SnsTopic);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: SnsSubscriptionProps = step.props()?;
        let topic = step.resolve(&props.topic)?;
        let subscribed = step
            .clients()
            .sns
            .subscribe()
            .topic_arn(&topic)
            .protocol(&props.protocol)
            .endpoint(&props.endpoint)
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
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        Ok(outputs(id, Some(id), None))
    }

    /// A pending subscription has no ARN of its own (it goes with its topic, or expires after
    /// three days): nothing to unsubscribe.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        if !id.starts_with("arn:") {
            return Ok(Outputs::new());
        }
        let result = step
            .clients()
            .sns
            .unsubscribe()
            .subscription_arn(id)
            .send()
            .await
            .aws();
        match result {
            Ok(_) => Ok(Outputs::new()),
            Err(e) if already_gone(&e) => Ok(Outputs::new()),
            Err(e) => Err(e),
        }
    }
}

/// NotFound, or InvalidParameter for a subscription that is still pending or already gone.
fn already_gone(e: &StepError) -> bool {
    is_not_found(e) || e.code == "InvalidParameter"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_already_gone_is_deleted() {
        assert!(already_gone(&StepError::fatal("NotFound", "x")));
        assert!(already_gone(&StepError::fatal("InvalidParameter", "x")));
        assert!(!already_gone(&StepError::fatal("AuthorizationError", "x")));
    }
}
