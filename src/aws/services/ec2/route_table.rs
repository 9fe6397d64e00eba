//! A route table (its routes and associations are kinds of their own).

use aws_sdk_ec2::types::ResourceType;

use super::ec2::{at_address, created_id, delete_by_id, describe_owned, tag_spec, update_tags};
use super::{Adapter, AwsResult, AwsStep, StepResult, outputs};
use crate::plan::catalog::network::RouteTableProps;

pub struct RouteTable;

impl Adapter for RouteTable {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: RouteTableProps = step.props()?;
        let existing = describe_owned!(step, describe_route_tables)?;
        if let Some(id) =
            at_address(step, existing.route_tables(), |t| t.tags()).and_then(|t| t.route_table_id())
        {
            return Ok(outputs(id, None, Some(step.name())));
        }
        let out = step
            .clients()
            .ec2
            .create_route_table()
            .vpc_id(step.resolve(&props.vpc)?)
            .tag_specifications(tag_spec(ResourceType::RouteTable, &step.tags()))
            .send()
            .await
            .aws()?;
        let id = created_id(
            out.route_table().and_then(|t| t.route_table_id()),
            "CreateRouteTable",
        )?;
        Ok(outputs(&id, None, Some(step.name())))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        update_tags(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        delete_by_id!(step, delete_route_table, route_table_id)
    }
}
