//! The internet gateway, created and attached to the VPC (its `vpc` property) in one step.

use aws_sdk_ec2::types::ResourceType;
use serde_json::Value;

use super::ec2::{
    at_address, base, created_id, describe_all_owned, describe_owned, reorder, tag_spec,
    update_tags,
};
use super::stages::{Read, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, not_found_as_none, outputs,
};
use crate::apply::{Outputs, StepError};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::network::InternetGatewayProps;

pub(crate) struct InternetGateway;

impl Adapter for InternetGateway {
    const READS: &'static [Read] = &[first(("ec2", "DescribeInternetGateways"))];

    /// The owned internet gateways (one DescribeInternetGateways per page), each with the VPC it
    /// is attached to.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let gateways = describe_all_owned!(read, describe_internet_gateways, internet_gateways);
        Ok(gateways
            .iter()
            .filter_map(|g| {
                let id = g.internet_gateway_id()?;
                let vpc = g.attachments().first().and_then(|a| a.vpc_id());
                let mut f = reorder(
                    base(read, K::InternetGateway, id, g.tags()),
                    |f| match vpc {
                        Some(vpc) => f.with("vpc", vpc),
                        None => f,
                    },
                );
                if let Some(vpc) = vpc {
                    f = f.output("vpcId", vpc);
                }
                Some(f)
            })
            .collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: InternetGatewayProps = step.props()?;
        let vpc = step.resolve(&props.vpc)?;
        let existing = describe_owned!(step, describe_internet_gateways)?;
        let (id, attached) = match at_address(step, existing.internet_gateways(), |g| g.tags()) {
            Some(g) => (
                g.internet_gateway_id().unwrap_or_default().to_string(),
                g.attachments()
                    .iter()
                    .any(|a| a.vpc_id() == Some(vpc.as_str())),
            ),
            None => {
                let out = step
                    .clients()
                    .ec2
                    .create_internet_gateway()
                    .tag_specifications(tag_spec(ResourceType::InternetGateway, &step.tags()))
                    .send()
                    .await
                    .aws()?;
                let id = created_id(
                    out.internet_gateway().and_then(|g| g.internet_gateway_id()),
                    "CreateInternetGateway",
                )?;
                (id, false)
            }
        };
        if !attached {
            step.clients()
                .ec2
                .attach_internet_gateway()
                .internet_gateway_id(&id)
                .vpc_id(&vpc)
                .send()
                .await
                .aws()?;
        }
        let mut out = outputs(&id, None, Some(step.name()));
        out.insert("vpcId".into(), Value::from(vpc));
        Ok(out)
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        update_tags(step).await
    }

    /// Detached from every VPC first: AWS refuses to delete an attached gateway.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        let described = not_found_as_none(
            step.clients()
                .ec2
                .describe_internet_gateways()
                .internet_gateway_ids(id)
                .send()
                .await
                .aws(),
        )?;
        let Some(described) = described else {
            return Ok(Outputs::new());
        };
        let vpcs: Vec<String> = described
            .internet_gateways()
            .iter()
            .flat_map(|g| g.attachments())
            .filter_map(|a| a.vpc_id().map(str::to_string))
            .collect();
        for vpc in vpcs {
            not_found_as_none(
                step.clients()
                    .ec2
                    .detach_internet_gateway()
                    .internet_gateway_id(id)
                    .vpc_id(vpc)
                    .send()
                    .await
                    .aws(),
            )?;
        }
        deleted(
            step.clients()
                .ec2
                .delete_internet_gateway()
                .internet_gateway_id(id)
                .send()
                .await
                .aws(),
        )
    }
}
