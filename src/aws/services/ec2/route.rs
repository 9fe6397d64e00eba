//! A route in a route table, to the internet gateway or a NAT gateway. Its id is
//! `<table id>|<destination>` (routes have no AWS id); an update re-points it. Read with its
//! route table (`route_table.rs`): DescribeRouteTables brings the routes.

use super::ec2::route_outputs;
use super::{Adapter, AwsResult, AwsStep, StepResult, deleted};
use crate::aws::errors::missing;
use crate::plan::ResourceKind;
use crate::plan::catalog::network::RouteProps;

/// `$call` (CreateRoute or ReplaceRoute: the same inputs) of `$destination` in `$table` through
/// `$target`, sent: `Result` of the call's answer.
macro_rules! route_to {
    ($step:expr, $call:ident, $table:expr, $destination:expr, $target:expr) => {{
        let request = $step
            .clients()
            .ec2
            .$call()
            .route_table_id($table)
            .destination_cidr_block($destination);
        let request = if is_nat($target) {
            request.nat_gateway_id($target)
        } else {
            request.gateway_id($target)
        };
        request.send().await.aws()
    }};
}

pub(crate) struct Route;

impl Adapter for Route {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::RouteTable);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: RouteProps = step.props()?;
        let table = step.resolve(&props.route_table)?;
        let destination = props.destination;
        let target = step.resolve(&props.target)?;
        match route_to!(step, create_route, &table, &destination, &target) {
            Ok(_) => {}
            // Already there (a re-run, or someone else's route): make it point where we want.
            Err(e) if e.code == "RouteAlreadyExists" => {
                route_to!(step, replace_route, &table, &destination, &target)?;
            }
            Err(e) => return Err(e),
        }
        Ok(route_outputs(&table, &destination))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        Self::create(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        let (table, destination) =
            match (step.existing("routeTableId"), step.existing("destination")) {
                (Some(t), Some(d)) => (t.to_string(), d.to_string()),
                _ => id
                    .split_once('|')
                    .map(|(t, d)| (t.to_string(), d.to_string()))
                    .ok_or_else(|| missing(format!("{}: route id {id}", step.address())))?,
            };
        deleted(
            step.clients()
                .ec2
                .delete_route()
                .route_table_id(table)
                .destination_cidr_block(destination)
                .send()
                .await
                .aws(),
        )
    }
}

/// `igw-…` goes in GatewayId, `nat-…` in NatGatewayId.
fn is_nat(target: &str) -> bool {
    target.starts_with("nat-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_targets() {
        assert!(is_nat("nat-0abc"));
        assert!(!is_nat("igw-0abc"));
        let out = route_outputs("rtb-1", "0.0.0.0/0");
        assert_eq!(out["id"], "rtb-1|0.0.0.0/0");
    }
}
