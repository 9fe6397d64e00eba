//! cloudwatch: metric alarms. PutMetricAlarm creates and replaces an alarm by name, so create
//! and update are the same call (thresholds, periods and actions change in place). The SDK
//! speaks the rpcv2-CBOR protocol here.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StandardUnit, Statistic, Tag};
use serde_json::{Map, Value};

use super::{AwsRead, AwsResult, AwsStep, Found, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

fn cw_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn alarm_arn(step: &AwsStep<'_>, name: &str) -> String {
    format!(
        "{}:cloudwatch:{}:{}:alarm:{name}",
        step.conn.partition.arn_prefix(),
        step.conn.region,
        step.conn.account
    )
}

fn dimensions(step: &AwsStep<'_>) -> Result<Vec<Dimension>, StepError> {
    let Some(Value::Object(map)) = step.property("dimensions") else {
        return Ok(Vec::new());
    };
    map.iter()
        .map(|(name, value)| {
            let value = value
                .as_str()
                .map_or_else(|| Ok(value.to_string()), |v| step.resolve(v))?;
            Ok(Dimension::builder().name(name).value(value).build())
        })
        .collect()
}

/// Creates or updates the alarm (PutMetricAlarm replaces it whole); tags only apply at
/// creation, so updates change them separately.
pub async fn put_alarm(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("alarmName").unwrap_or(step.name()).to_string();
    let number = |key: &str| step.property(key).and_then(Value::as_f64);
    let int = |key: &str| step.i64(key).and_then(|n| i32::try_from(n).ok());
    let mut request = step
        .clients()
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&name)
        .namespace(step.str("namespace")?)
        .metric_name(step.str("metricName")?)
        .set_dimensions(Some(dimensions(step)?))
        .statistic(Statistic::from(step.str("statistic")?))
        .set_period(int("periodSeconds"))
        .set_evaluation_periods(int("evaluationPeriods"))
        .set_threshold(number("threshold"))
        .comparison_operator(ComparisonOperator::from(step.str("comparisonOperator")?))
        .set_treat_missing_data(step.opt_str("treatMissingData").map(str::to_string))
        .set_alarm_actions(Some(step.references("alarmActions").unwrap_or_default()))
        .set_ok_actions(Some(step.references("okActions").unwrap_or_default()))
        .set_unit(None::<StandardUnit>);
    let creating = step.request.step.observed.is_none();
    if creating {
        request = request.set_tags(Some(cw_tags(&step.tags())));
    }
    request.send().await.aws()?;
    let arn = alarm_arn(step, &name);
    if !creating && step.changed("tags") {
        let (set, remove) = tags::changes(&step.observed_tags(), &step.tags());
        if !set.is_empty() {
            step.clients()
                .cloudwatch
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(cw_tags(&set)))
                .send()
                .await
                .aws()?;
        }
        if !remove.is_empty() {
            step.clients()
                .cloudwatch
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .aws()?;
        }
    }
    Ok(outputs(&arn, Some(&arn), Some(&name)))
}

/// DeleteAlarms ignores names that do not exist.
pub async fn delete_alarm(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
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

/// Alarms named with the blueprint's prefix (DescribeAlarms, one call per page of 100) and their
/// tags from the tagging API's answer ([`AwsRead::tags_for`]; DescribeAlarms carries none, so
/// ListTagsForResource only for a desired alarm it does not list).
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let cw = &read.conn.clients.cloudwatch;
    let pages = all_pages!(
        cw.describe_alarms()
            .alarm_name_prefix(read.name_prefix())
            .max_records(100)
            .into_paginator()
            .send()
    );
    let alarms = pages
        .into_iter()
        .flat_map(|page| page.metric_alarms.unwrap_or_default());
    // The tag reads of desired alarms the tagging API does not list, all at once.
    let found = futures::future::try_join_all(alarms.map(|alarm| alarm_found(read, alarm))).await?;
    Ok(found.into_iter().flatten().collect())
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
    let dimensions: Map<String, Value> = alarm
        .dimensions()
        .iter()
        .filter_map(|d| Some((d.name()?.to_string(), Value::from(d.value()?))))
        .collect();
    let mut f = Found::new(K::CloudWatchAlarm, arn)
        .at(Some(address))
        .named(name)
        .with("alarmName", name)
        .with("namespace", alarm.namespace().unwrap_or_default())
        .with("metricName", alarm.metric_name().unwrap_or_default())
        .with("dimensions", Value::Object(sorted_like_catalog(dimensions)))
        .with("statistic", alarm.statistic().map_or("", |s| s.as_str()))
        .with("periodSeconds", alarm.period().unwrap_or_default())
        .with(
            "evaluationPeriods",
            alarm.evaluation_periods().unwrap_or_default(),
        )
        .with("threshold", alarm.threshold().unwrap_or_default())
        .with(
            "comparisonOperator",
            alarm.comparison_operator().map_or("", |c| c.as_str()),
        )
        .with(
            "treatMissingData",
            alarm.treat_missing_data().unwrap_or("missing"),
        )
        .with("alarmActions", Value::from(alarm.alarm_actions().to_vec()))
        .with("okActions", Value::from(alarm.ok_actions().to_vec()));
    f = f.with("tags", tags::to_value(&tags)).output("name", name);
    Ok(Some(f))
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

/// Dimension maps compare as objects (key order does not matter to the diff); kept sorted.
fn sorted_like_catalog(map: Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().collect()
}
