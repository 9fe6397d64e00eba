//! A DB subnet group: the data tier's subnets, one per zone. Its name is unique per account
//! and region, so create looks it up first (a run after a crash finds it). Its read lists the
//! account's groups and keeps those named and tagged for the blueprint.

use super::rds::{
    RdsTags, desired_named, in_use_is_conflict, rds_arn, rds_tags, resolve_all, tags_of, with_props,
};
use super::stages::{NOT_LISTED, Read, fallback, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, not_found_as_none, outputs,
    sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::database::DbSubnetGroupProps;

pub(crate) struct DbSubnetGroup;

fn subnet_group_outputs(step: &AwsStep<'_>, name: &str) -> Outputs {
    let arn = rds_arn(step.conn, "subgrp", name);
    outputs(&arn, Some(&arn), Some(name))
}

impl Adapter for DbSubnetGroup {
    const READS: &'static [Read] = &[
        first(("rds", "DescribeDBSubnetGroups")),
        // RDS's one tag read, for the subnet groups and both kinds of parameter group (the
        // describes of instances and clusters carry their tags): declared once, here.
        fallback(
            ("rds", "ListTagsForResource"),
            &[
                ("rds", "DescribeDBSubnetGroups"),
                ("rds", "DescribeDBParameterGroups"),
                ("rds", "DescribeDBClusterParameterGroups"),
            ],
            NOT_LISTED,
        ),
    ];

    /// Subnet groups named with the blueprint's prefix and tagged for it.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let rds = &read.clients().rds;
        let prefix = read.name_prefix();
        let mut found = Vec::new();
        for g in all_items!(rds.describe_db_subnet_groups(), db_subnet_groups) {
            let Some(name) = g.db_subnet_group_name().filter(|n| n.starts_with(&prefix)) else {
                continue;
            };
            let arn = g
                .db_subnet_group_arn()
                .map_or_else(|| rds_arn(read.conn, "subgrp", name), str::to_string);
            let desired = desired_named(read, K::DbSubnetGroup, name).is_some();
            let Some(tags) = read.tags_for(&arn, desired, || tags_of(read, &arn)).await? else {
                continue;
            };
            let Some(address) = read.owned(&tags) else {
                continue;
            };
            // In the catalog's order: by zone.
            let mut zoned: Vec<(String, String)> = g
                .subnets()
                .iter()
                .filter_map(|s| {
                    Some((
                        s.subnet_availability_zone()
                            .and_then(|z| z.name())
                            .unwrap_or_default()
                            .to_string(),
                        s.subnet_identifier()?.to_string(),
                    ))
                })
                .collect();
            zoned.sort();
            let subnets: Vec<String> = zoned.into_iter().map(|(_, s)| s).collect();
            let props = DbSubnetGroupProps {
                name: name.to_string(),
                description: g.db_subnet_group_description().unwrap_or_default().into(),
                subnets,
            };
            found.push(
                with_props(
                    Found::new(K::DbSubnetGroup, &arn)
                        .at(Some(address))
                        .named(name),
                    &props,
                )
                .with("tags", tags::to_value(&tags))
                .output("arn", arn.as_str())
                .output("name", name),
            );
        }

        Ok(found)
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: DbSubnetGroupProps = step.props()?;
        let existing = not_found_as_none(
            step.clients()
                .rds
                .describe_db_subnet_groups()
                .db_subnet_group_name(&props.name)
                .send()
                .await
                .aws(),
        )?;
        if existing.is_none_or(|r| r.db_subnet_groups().is_empty()) {
            step.clients()
                .rds
                .create_db_subnet_group()
                .db_subnet_group_name(&props.name)
                .db_subnet_group_description(&props.description)
                .set_subnet_ids(Some(resolve_all(step, &props.subnets)?))
                .set_tags(Some(rds_tags(&step.tags())))
                .send()
                .await
                .aws()?;
        }
        Ok(subnet_group_outputs(step, &props.name))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: DbSubnetGroupProps = step.props()?;
        if step.changed_any(K::DbSubnetGroup.in_place()) {
            step.clients()
                .rds
                .modify_db_subnet_group()
                .db_subnet_group_name(&props.name)
                .db_subnet_group_description(&props.description)
                .set_subnet_ids(Some(resolve_all(step, &props.subnets)?))
                .send()
                .await
                .aws()?;
        }
        sync_tags::<RdsTags>(step, &rds_arn(step.conn, "subgrp", &props.name)).await?;
        Ok(subnet_group_outputs(step, &props.name))
    }

    /// A group still used by an instance or cluster is a conflict: retried after it is gone.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_name();
        let rds = &step.clients().rds;
        deleted(
            rds.delete_db_subnet_group()
                .db_subnet_group_name(name)
                .send()
                .await
                .aws()
                .map_err(in_use_is_conflict),
        )
    }
}
