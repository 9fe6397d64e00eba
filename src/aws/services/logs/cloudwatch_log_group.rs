//! A CloudWatch Logs log group: where an ECS service's tasks send their output (the `awslogs`
//! log driver's `awslogs-group`).
//!
//! - **Create**: CreateLogGroup with the name and the tags ("To create a log group with tags,
//!   you must have the logs:CreateLogGroup and logs:TagResource permissions", botocore `logs`
//!   CreateLogGroup); a group of that name made by an earlier, interrupted run is found by its
//!   address tag and kept, another's is refused. Then PutRetentionPolicy when the blueprint
//!   sets a retention (without one the events never expire: AWS's default).
//! - **Update**: PutRetentionPolicy, or DeleteRetentionPolicy when the blueprint no longer sets
//!   one ("To set a log group so that its log events do not expire, use DeleteRetentionPolicy",
//!   botocore `logs` Days); the tags with TagResource/UntagResource on the group's ARN.
//! - **Delete**: DeleteLogGroup, "permanently deletes the specified log group. All log events
//!   in the log group are also permanently deleted" (botocore `logs`); one already gone is done.
//!   The kind does not hold data in the `--allow-data-loss` sense: its spec row says why.
//!
//! Every call is synchronous: nothing to wait for.
//!
//! Read: DescribeLogGroups by the blueprint's prefix (`scaling_kinds::log_group_prefix`, one
//! call per page of 50), tags from the tagging API's answer, else ListTagsForResource for each
//! group under the prefix (the prefix is the blueprint's alone, so these are its groups, and one
//! the blueprint dropped must be found to be deleted). Attributes: `name` (the id) and `arn`.

use super::logs::{LogsTags, log_group_arn, logs_tags};
use super::stages::{Read, fallback, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, outputs, sync_tags};
use crate::apply::StepError;
use crate::aws::tags::{self, ADDRESS_TAG, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::scaling_kinds::{
    LogGroupProps, RETENTION_DAYS, log_group_prefix, valid_retention,
};

pub(crate) struct CloudWatchLogGroup;

impl Adapter for CloudWatchLogGroup {
    const READS: &'static [Read] = &[
        first(("logs", "DescribeLogGroups")),
        fallback(
            ("logs", "ListTagsForResource"),
            &[("logs", "DescribeLogGroups")],
            "a log group under the blueprint's prefix the tagging API's answer does not list",
        ),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let groups = all_items!(
            read.clients()
                .logs
                .describe_log_groups()
                .log_group_name_prefix(log_group_prefix(read.blueprint))
                .limit(50),
            log_groups
        )
        .into_iter();
        let found =
            futures::future::try_join_all(groups.map(|group| group_found(read, group))).await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: LogGroupProps = step.props()?;
        let arn = arn_of(step, &props.name);
        let created = step
            .clients()
            .logs
            .create_log_group()
            .log_group_name(&props.name)
            .set_tags(Some(logs_tags(&step.tags())))
            .send()
            .await
            .aws();
        match created {
            Ok(_) => {}
            // Made by an earlier attempt whose answer was lost, or someone else's.
            Err(err) if err.code == "ResourceAlreadyExistsException" => {
                ours_or_refuse(step, &props.name, &arn).await?;
            }
            Err(err) => return Err(err),
        }
        if let Some(days) = props.retention_days {
            put_retention(step, &props.name, days).await?;
        }
        Ok(outputs(&props.name, Some(&arn), Some(&props.name)))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: LogGroupProps = step.props()?;
        let arn = arn_of(step, &props.name);
        if step.changed("retentionDays") {
            match props.retention_days {
                Some(days) => put_retention(step, &props.name, days).await?,
                None => {
                    step.clients()
                        .logs
                        .delete_retention_policy()
                        .log_group_name(&props.name)
                        .send()
                        .await
                        .aws()?;
                }
            }
        }
        sync_tags::<LogsTags>(step, &arn).await?;
        Ok(outputs(&props.name, Some(&arn), Some(&props.name)))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing("name").unwrap_or(step.existing_id()?);
        let logs = &step.clients().logs;
        deleted(
            logs.delete_log_group()
                .log_group_name(name)
                .send()
                .await
                .aws(),
        )
    }
}

fn arn_of(step: &AwsStep<'_>, name: &str) -> String {
    log_group_arn(
        &step.conn.partition.arn_prefix(),
        &step.conn.region,
        &step.conn.account,
        name,
    )
}

/// PutRetentionPolicy. A value AWS does not take (botocore `logs` Days lists them; the model
/// has no enum, so the SDK sends any) is refused here, before the call, with the values it
/// could be (the blueprint's validation keeps to them too).
async fn put_retention(step: &AwsStep<'_>, name: &str, days: i64) -> Result<(), StepError> {
    let days = i32::try_from(days)
        .ok()
        .filter(|_| valid_retention(days))
        .ok_or_else(|| {
            StepError::fatal(
                "InvalidParameterException",
                format!(
                    "{}: a log group keeps its events for one of {RETENTION_DAYS:?} days, not \
                     {days}",
                    step.address()
                ),
            )
        })?;
    step.clients()
        .logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .aws()?;
    Ok(())
}

/// A log group of this name exists: this step's (its address tag) or someone else's. Names are
/// unique per account and region, so another's is a clear error rather than a takeover.
async fn ours_or_refuse(step: &AwsStep<'_>, name: &str, arn: &str) -> Result<(), StepError> {
    let listed = step
        .clients()
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .aws()?;
    let ours = listed
        .tags()
        .and_then(|t| t.get(ADDRESS_TAG))
        .is_some_and(|v| tags::is_address(v, step.address()));
    step.refuse_unless_ours(
        ours,
        "ResourceAlreadyExistsException",
        &format!("a CloudWatch Logs log group named {name} already exists"),
    )
}

/// A listed log group, if its tags say it is the blueprint's.
async fn group_found(
    read: &AwsRead<'_>,
    group: aws_sdk_cloudwatchlogs::types::LogGroup,
) -> Result<Option<Found>, StepError> {
    let Some(name) = group.log_group_name() else {
        return Ok(None);
    };
    let arn = group.log_group_arn().map_or_else(
        || {
            log_group_arn(
                &read.conn.partition.arn_prefix(),
                &read.conn.region,
                &read.conn.account,
                name,
            )
        },
        str::to_string,
    );
    // Every group under the prefix is the blueprint's to look at (see the module docs).
    let Some(tags) = read.tags_for(&arn, true, || group_tags(read, &arn)).await? else {
        return Ok(None);
    };
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    let props = LogGroupProps {
        name: name.to_string(),
        retention_days: group.retention_in_days().map(i64::from),
    };
    let mut found = Found::new(K::CloudWatchLogGroup, name)
        .at(Some(address))
        .named(name)
        .props(&props)
        .with("tags", tags::to_value(&tags));
    found.outputs = outputs(name, Some(&arn), Some(name));
    Ok(Some(found))
}

/// One log group's tags (ListTagsForResource on its ARN).
async fn group_tags(read: &AwsRead<'_>, arn: &str) -> Result<TagSet, StepError> {
    tags_by_arn!(read, "logs", logs, resource_arn, tags, arn, |(k, v)| Some(
        (k, v)
    ))
}
