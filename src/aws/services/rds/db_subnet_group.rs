//! A DB subnet group: the data tier's subnets, one per zone. Its name is unique per account
//! and region, so create looks it up first (a run after a crash finds it).

use super::rds::{RdsTags, in_use_is_conflict, rds_tags, resolve_all, step_arn};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, outputs, sync_tags};
use crate::apply::Outputs;
use crate::plan::catalog::database::DbSubnetGroupProps;

pub struct DbSubnetGroup;

/// What the update changes in place (ModifyDBSubnetGroup); tags aside.
pub(crate) const SUBNET_GROUP_IN_PLACE: &[&str] = &["subnets", "description"];

fn subnet_group_outputs(step: &AwsStep<'_>, name: &str) -> Outputs {
    let arn = step_arn(step, "subgrp", name);
    outputs(&arn, Some(&arn), Some(name))
}

impl Adapter for DbSubnetGroup {
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
        if step.changed_any(SUBNET_GROUP_IN_PLACE) {
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
        sync_tags::<RdsTags>(step, &step_arn(step, "subgrp", &props.name)).await?;
        Ok(subnet_group_outputs(step, &props.name))
    }

    /// A group still used by an instance or cluster is a conflict: retried after it is gone.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing("name").unwrap_or(step.name()).to_string();
        let result = step
            .clients()
            .rds
            .delete_db_subnet_group()
            .db_subnet_group_name(&name)
            .send()
            .await
            .aws();
        not_found_as_none(result.map_err(in_use_is_conflict))?;
        Ok(Outputs::new())
    }
}
