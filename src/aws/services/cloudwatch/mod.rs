//! cloudwatch: metric alarms (the adapter is `cloudwatch_alarm.rs`). The SDK speaks the
//! rpcv2-CBOR protocol here.

use aws_sdk_cloudwatch::types::Tag;
use serde_json::Value;

use super::{AwsRead, Found};
use crate::apply::StepError;
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::monitoring::CloudWatchAlarmProps;

/// CloudWatch's TagResource and UntagResource, by ARN (alarms; botocore
/// `cloudwatch/2010-08-01`: `ResourceARN` with a list of `Tag`s).
pub struct CloudWatchTags;

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
