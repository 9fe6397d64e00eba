//! A route table (its routes and associations are kinds of their own). DescribeRouteTables
//! brings a table's routes and associations with it, so this kind's read finds all three.

use aws_sdk_ec2::types::ResourceType;

use super::ec2::{
    at_address, base, created_id, delete_by_id, describe_all_owned, describe_owned, route_outputs,
    tag_spec, update_tags, with_props,
};
use super::stages::{Read, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs};
use crate::apply::StepError;
use crate::plan::catalog::network::{RouteProps, RouteTableAssociationProps, RouteTableProps};
use crate::plan::{Address, ResourceKind as K};

pub(crate) struct RouteTable;

impl Adapter for RouteTable {
    const READS: &'static [Read] = &[first(("ec2", "DescribeRouteTables"))];

    /// The owned route tables (one DescribeRouteTables per page), their explicit associations and
    /// the routes they hold that shinyctl may have made (not the local one).
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let tables = describe_all_owned!(read, describe_route_tables, route_tables);
        let mut found = Vec::new();
        for t in &tables {
            let Some(id) = t.route_table_id() else {
                continue;
            };
            let vpc = t.vpc_id().unwrap_or_default().to_string();
            found.push(with_props(
                base(read, K::RouteTable, id, t.tags()),
                &RouteTableProps { vpc },
            ));
            for a in t.associations() {
                let (Some(association), Some(subnet)) =
                    (a.route_table_association_id(), a.subnet_id())
                else {
                    continue;
                };
                if a.main() == Some(true) {
                    continue;
                }
                let props = RouteTableAssociationProps {
                    subnet: subnet.to_string(),
                    route_table: id.to_string(),
                };
                found.push(with_props(
                    Found::new(K::RouteTableAssociation, association),
                    &props,
                ));
            }
            for r in t.routes() {
                let origin = r.origin().map(|o| o.as_str());
                let (Some(destination), Some(target)) = (
                    r.destination_cidr_block(),
                    r.nat_gateway_id().or(r.gateway_id()),
                ) else {
                    continue;
                };
                if origin == Some("CreateRouteTable") || target == "local" {
                    continue;
                }
                let props = RouteProps {
                    route_table: id.to_string(),
                    destination: destination.to_string(),
                    target: target.to_string(),
                };
                let mut f = with_props(Found::new(K::Route, format!("{id}|{destination}")), &props);
                f.outputs = route_outputs(id, destination);
                // A route through a gateway in our own table is ours even when no longer desired.
                if target.starts_with("nat-") || target.starts_with("igw-") {
                    f = f.orphan_at(Address::new(format!(
                        "network.route.unlisted[{id}|{destination}]"
                    )));
                }
                found.push(f);
            }
        }
        Ok(found)
    }

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
