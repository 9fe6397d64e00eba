//! A subnet. `mapPublicIpOnLaunch` is an attribute set after the create (CreateSubnet does not
//! take it). The read takes the owned subnets from [`AwsRead::owned_subnets`], the answer it
//! shares with the readers that order subnets by zone.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use super::ec2::{
    Ec2Tags, at_address, base, created_id, delete_by_id, describe_owned, tag_spec, with_props,
};
use super::stages::{Read, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs, sync_tags};
use crate::apply::StepError;
use crate::aws::errors::missing;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::network::SubnetProps;

pub(crate) struct Subnet;

impl Adapter for Subnet {
    // The owned subnets are a shared answer (`stages::SHARED`), asked for at the start of the
    // read: the one call its read makes, declared here too.
    const READS: &'static [Read] = &[first(("ec2", "DescribeSubnets"))];

    /// The owned subnets as read.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let subnets = read.owned_subnets().await?;
        Ok(subnets
            .iter()
            .filter_map(|s| {
                let id = s.subnet_id()?;
                let props = SubnetProps {
                    cidr: Some(s.cidr_block().unwrap_or_default().to_string()),
                    availability_zone: s.availability_zone().unwrap_or_default().to_string(),
                    vpc: s.vpc_id().unwrap_or_default().to_string(),
                    map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
                };
                Some(with_props(base(read, K::Subnet, id, s.tags()), &props))
            })
            .collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: SubnetProps = step.props()?;
        let existing = describe_owned!(step, describe_subnets)?;
        let id =
            match at_address(step, existing.subnets(), |s| s.tags()).and_then(|s| s.subnet_id()) {
                Some(id) => id.to_string(),
                None => {
                    let cidr = props.cidr.as_deref().ok_or_else(|| {
                        missing(format!("{}: property `cidr` is missing", step.address()))
                    })?;
                    let out = step
                        .clients()
                        .ec2
                        .create_subnet()
                        .vpc_id(step.resolve(&props.vpc)?)
                        .cidr_block(cidr)
                        .availability_zone(&props.availability_zone)
                        .tag_specifications(tag_spec(ResourceType::Subnet, &step.tags()))
                        .send()
                        .await
                        .aws()?;
                    created_id(out.subnet().and_then(|s| s.subnet_id()), "CreateSubnet")?
                }
            };
        if props.map_public_ip_on_launch {
            set_map_public_ip(step, &id, true).await?;
        }
        Ok(outputs(&id, None, Some(step.name())))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: SubnetProps = step.props()?;
        let id = step.existing_id()?;
        if step.changed("mapPublicIpOnLaunch") {
            set_map_public_ip(step, id, props.map_public_ip_on_launch).await?;
        }
        sync_tags::<Ec2Tags>(step, id).await?;
        Ok(outputs(id, None, Some(step.name())))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        delete_by_id!(step, delete_subnet, subnet_id)
    }
}

async fn set_map_public_ip(step: &AwsStep<'_>, id: &str, value: bool) -> Result<(), StepError> {
    step.clients()
        .ec2
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(value).build())
        .send()
        .await
        .aws()?;
    Ok(())
}
