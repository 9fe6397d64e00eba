//! A NAT gateway. CreateNatGateway takes a client token, and a retry also finds the gateway by
//! its ownership tags; the create waits until it is available, the delete until it is gone.

use aws_sdk_ec2::types::{ConnectivityType, ResourceType};

use super::ec2::{
    at_address, base, created_id, describe_owned, filter, owned_filters, tag_spec, update_tags,
    with_props,
};
use super::stages::{Read, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none, outputs};
use crate::apply::wait::{has, is_gone};
use crate::apply::{Outputs, StepError};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::network::NatGatewayProps;

pub(crate) struct NatGateway;

impl Adapter for NatGateway {
    const READS: &'static [Read] = &[first(("ec2", "DescribeNatGateways"))];

    /// The owned NAT gateways that still exist (one DescribeNatGateways per page).
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let mut filters = owned_filters(read.blueprint);
        filters.push(filter("state", LIVE_NAT_STATES));
        let nats: Vec<_> = all_items!(
            read.clients()
                .ec2
                .describe_nat_gateways()
                .set_filter(Some(filters)),
            nat_gateways
        );
        Ok(nats
            .iter()
            .filter_map(|n| {
                let id = n.nat_gateway_id()?;
                let allocation = n
                    .nat_gateway_addresses()
                    .first()
                    .and_then(|a| a.allocation_id())
                    .unwrap_or_default()
                    .to_string();
                let connectivity = n
                    .connectivity_type()
                    .map(|c| c.as_str())
                    .unwrap_or("public")
                    .to_string();
                let subnet = n.subnet_id().unwrap_or_default().to_string();
                let props = NatGatewayProps {
                    subnet,
                    allocation,
                    connectivity,
                };
                Some(with_props(base(read, K::NatGateway, id, n.tags()), &props))
            })
            .collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: NatGatewayProps = step.props()?;
        let mut filters = owned_filters(step.blueprint);
        filters.push(filter("state", LIVE_NAT_STATES));
        let existing = describe_owned!(step, describe_nat_gateways, set_filter, filters)?;
        let id = match at_address(step, existing.nat_gateways(), |n| n.tags())
            .and_then(|n| n.nat_gateway_id())
        {
            Some(id) => id.to_string(),
            None => {
                let out = step
                    .clients()
                    .ec2
                    .create_nat_gateway()
                    .subnet_id(step.resolve(&props.subnet)?)
                    .allocation_id(step.resolve(&props.allocation)?)
                    .connectivity_type(ConnectivityType::from(props.connectivity.as_str()))
                    .client_token(step.client_token("CreateNatGateway"))
                    .tag_specifications(tag_spec(ResourceType::Natgateway, &step.tags()))
                    .send()
                    .await
                    .aws()?;
                created_id(
                    out.nat_gateway().and_then(|n| n.nat_gateway_id()),
                    "CreateNatGateway",
                )?
            }
        };
        let state = step
            .wait_until(
                || nat_state(step, &id),
                has(|s: &String| s == "available" || s == "failed"),
            )
            .await?;
        if state.as_deref() == Some("failed") {
            return Err(StepError::fatal(
                "NatGatewayFailed",
                format!("NAT gateway {id} failed to become available"),
            ));
        }
        Ok(outputs(&id, None, Some(step.name())))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        update_tags(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        if not_found_as_none(
            step.clients()
                .ec2
                .delete_nat_gateway()
                .nat_gateway_id(id)
                .send()
                .await
                .aws(),
        )?
        .is_none()
        {
            return Ok(Outputs::new());
        }
        // Its Elastic IP and subnet stay in use until it is fully deleted.
        step.wait_until(|| nat_state(step, id), is_gone()).await?;
        Ok(Outputs::new())
    }
}

/// The gateway's state; deleted ones (visible for an hour) count as gone.
async fn nat_state(step: &AwsStep<'_>, id: &str) -> Result<Option<String>, StepError> {
    let out = not_found_as_none(
        step.clients()
            .ec2
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .aws(),
    )?;
    let state = out.and_then(|o| {
        o.nat_gateways()
            .first()
            .and_then(|n| n.state().map(|s| s.as_str().to_string()))
    });
    Ok(state.filter(|s| s != "deleted"))
}

/// States of a NAT gateway that still exists (deleted ones stay visible for an hour).
const LIVE_NAT_STATES: [&str; 2] = ["pending", "available"];
