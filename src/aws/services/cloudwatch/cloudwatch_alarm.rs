//! A CloudWatch metric alarm. PutMetricAlarm creates and replaces an alarm by name, so create
//! and update are the same call (thresholds, periods and actions change in place).

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StandardUnit, Statistic};

use super::cloudwatch::{CloudWatchTags, cw_tags};
use serde_json::Value;

use super::stages::{NOT_LISTED, Read, fallback, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::monitoring::CloudWatchAlarmProps;

pub(crate) struct CloudWatchAlarm;

impl Adapter for CloudWatchAlarm {
    const READS: &'static [Read] = &[
        first(("cloudwatch", "DescribeAlarms")),
        fallback(
            ("cloudwatch", "ListTagsForResource"),
            &[("cloudwatch", "DescribeAlarms")],
            NOT_LISTED,
        ),
    ];

    /// Alarms named with the blueprint's prefix (DescribeAlarms, one call per page of 100) and their
    /// tags from the tagging API's answer ([`AwsRead::tags_for`]; DescribeAlarms carries none, so
    /// ListTagsForResource only for a desired alarm it does not list).
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let cw = &read.clients().cloudwatch;
        let alarms = all_items!(
            cw.describe_alarms()
                .alarm_name_prefix(read.name_prefix())
                .max_records(100),
            metric_alarms
        )
        .into_iter();
        // The tag reads of desired alarms the tagging API does not list, all at once.
        let found =
            futures::future::try_join_all(alarms.map(|alarm| alarm_found(read, alarm))).await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Creates or updates the alarm (PutMetricAlarm replaces it whole); tags only apply at
    /// creation, so updates change them separately.
    async fn create(step: &AwsStep<'_>) -> StepResult {
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

    /// The same call as the create: it puts the whole desired state.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        Self::create(step).await
    }

    /// DeleteAlarms ignores names that do not exist.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_name();
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

async fn alarm_found(
    read: &AwsRead<'_>,
    alarm: aws_sdk_cloudwatch::types::MetricAlarm,
) -> Result<Option<Found>, StepError> {
    let (Some(name), Some(arn)) = (alarm.alarm_name(), alarm.alarm_arn()) else {
        return Ok(None);
    };
    let desired = read.is_desired(K::CloudWatchAlarm, name);
    let Some(tags) = read
        .tags_for(arn, desired, || alarm_tags(read, arn))
        .await?
    else {
        return Ok(None);
    };
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    // The same properties as the catalog's, in the same order: one struct for both.
    let props = CloudWatchAlarmProps {
        alarm_name: name.to_string(),
        namespace: alarm.namespace().unwrap_or_default().to_string(),
        metric_name: alarm.metric_name().unwrap_or_default().to_string(),
        dimensions: alarm
            .dimensions()
            .iter()
            .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
            .collect(),
        statistic: alarm.statistic().map_or("", |s| s.as_str()).to_string(),
        period_seconds: u64::try_from(alarm.period().unwrap_or_default()).unwrap_or_default(),
        evaluation_periods: u32::try_from(alarm.evaluation_periods().unwrap_or_default())
            .unwrap_or_default(),
        threshold: alarm.threshold().unwrap_or_default(),
        comparison_operator: alarm
            .comparison_operator()
            .map_or("", |c| c.as_str())
            .to_string(),
        treat_missing_data: alarm.treat_missing_data().unwrap_or("missing").to_string(),
        alarm_actions: alarm.alarm_actions().to_vec(),
        ok_actions: alarm.ok_actions().to_vec(),
    };
    let mut f = Found::new(K::CloudWatchAlarm, arn)
        .at(Some(address))
        .named(name);
    if let Ok(Value::Object(fields)) = serde_json::to_value(&props) {
        f.properties.extend(fields);
    }
    Ok(Some(
        f.with("tags", tags::to_value(&tags)).output("name", name),
    ))
}

/// One alarm's tags (ListTagsForResource).
async fn alarm_tags(read: &AwsRead<'_>, arn: &str) -> Result<tags::TagSet, StepError> {
    tags_by_arn!(
        read,
        "cloudwatch",
        cloudwatch,
        resource_arn,
        tags,
        arn,
        |t| { Some((t.key?, t.value?)) }
    )
}
