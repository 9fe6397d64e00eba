//! A CloudWatch metric alarm. PutMetricAlarm creates and replaces an alarm by name, so create
//! and update are the same call (thresholds, periods and actions change in place).

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StandardUnit, Statistic};

use super::cloudwatch::{CloudWatchTags, cw_tags};
use super::{Adapter, AwsResult, AwsStep, StepResult, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::monitoring::CloudWatchAlarmProps;

pub struct CloudWatchAlarm;

impl Adapter for CloudWatchAlarm {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        put_alarm(step).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        put_alarm(step).await
    }

    /// DeleteAlarms ignores names that do not exist.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing("name").unwrap_or(step.name()).to_string();
        step.clients()
            .cloudwatch
            .delete_alarms()
            .alarm_names(name)
            .send()
            .await
            .aws()?;
        Ok(Outputs::new())
    }
}

/// Creates or updates the alarm (PutMetricAlarm replaces it whole); tags only apply at
/// creation, so updates change them separately.
async fn put_alarm(step: &AwsStep<'_>) -> StepResult {
    let props: CloudWatchAlarmProps = step.props()?;
    let name = &props.alarm_name;
    let mut request = step
        .clients()
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .namespace(&props.namespace)
        .metric_name(&props.metric_name)
        .set_dimensions(Some(dimensions(step, &props)?))
        .statistic(Statistic::from(props.statistic.as_str()))
        .set_period(i32::try_from(props.period_seconds).ok())
        .set_evaluation_periods(i32::try_from(props.evaluation_periods).ok())
        .threshold(props.threshold)
        .comparison_operator(ComparisonOperator::from(props.comparison_operator.as_str()))
        .treat_missing_data(&props.treat_missing_data)
        .set_alarm_actions(Some(resolve_all(step, &props.alarm_actions)?))
        .set_ok_actions(Some(resolve_all(step, &props.ok_actions)?))
        .set_unit(None::<StandardUnit>);
    let creating = step.request.step.observed.is_none();
    if creating {
        request = request.set_tags(Some(cw_tags(&step.tags())));
    }
    request.send().await.aws()?;
    let arn = alarm_arn(step, name);
    if !creating {
        sync_tags::<CloudWatchTags>(step, &arn).await?;
    }
    Ok(outputs(&arn, Some(&arn), Some(name)))
}

fn alarm_arn(step: &AwsStep<'_>, name: &str) -> String {
    format!(
        "{}:cloudwatch:{}:{}:alarm:{name}",
        step.conn.partition.arn_prefix(),
        step.conn.region,
        step.conn.account
    )
}

/// The alarm's dimensions, their references resolved.
fn dimensions(
    step: &AwsStep<'_>,
    props: &CloudWatchAlarmProps,
) -> Result<Vec<Dimension>, StepError> {
    props
        .dimensions
        .iter()
        .map(|(name, value)| {
            Ok(Dimension::builder()
                .name(name)
                .value(step.resolve(value)?)
                .build())
        })
        .collect()
}

/// The notified topics' ARNs.
fn resolve_all(step: &AwsStep<'_>, addresses: &[String]) -> Result<Vec<String>, StepError> {
    addresses.iter().map(|a| step.resolve(a)).collect()
}
