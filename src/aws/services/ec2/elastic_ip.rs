//! An Elastic IP (a NAT gateway's public address). AllocateAddress has no client token: a
//! retry finds the address by its ownership tags.

use aws_sdk_ec2::types::{DomainType, ResourceType};
use serde_json::Value;

use super::ec2::{
    at_address, base, created_id, delete_by_id, describe_owned, owned_filters, tag_spec,
    update_tags, with_props,
};
use super::stages::{Read, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs};
use crate::apply::StepError;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::network::ElasticIpProps;

pub(crate) struct ElasticIp;

impl Adapter for ElasticIp {
    const READS: &'static [Read] = &[first(("ec2", "DescribeAddresses"))];

    /// The owned Elastic IPs (one DescribeAddresses: it has no pages).
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let out = read
            .clients()
            .ec2
            .describe_addresses()
            .set_filters(Some(owned_filters(read.blueprint)))
            .send()
            .await
            .aws()?;
        Ok(out
            .addresses()
            .iter()
            .filter_map(|a| {
                let id = a.allocation_id()?;
                let props = ElasticIpProps {
                    domain: a.domain().map(|d| d.as_str()).unwrap_or("vpc").to_string(),
                };
                Some(
                    with_props(base(read, K::ElasticIp, id, a.tags()), &props)
                        .output("publicIp", a.public_ip().unwrap_or_default()),
                )
            })
            .collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: ElasticIpProps = step.props()?;
        let existing = describe_owned!(step, describe_addresses)?;
        if let Some(address) = at_address(step, existing.addresses(), |a| a.tags()) {
            let id = address.allocation_id().unwrap_or_default();
            let mut out = outputs(id, None, Some(step.name()));
            out.insert(
                "publicIp".into(),
                Value::from(address.public_ip().unwrap_or_default()),
            );
            return Ok(out);
        }
        let out = step
            .clients()
            .ec2
            .allocate_address()
            .domain(DomainType::from(props.domain.as_str()))
            .tag_specifications(tag_spec(ResourceType::ElasticIp, &step.tags()))
            .send()
            .await
            .aws()?;
        let id = created_id(out.allocation_id(), "AllocateAddress")?;
        let mut result = outputs(&id, None, Some(step.name()));
        result.insert(
            "publicIp".into(),
            Value::from(out.public_ip().unwrap_or_default()),
        );
        Ok(result)
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        update_tags(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        delete_by_id!(step, release_address, allocation_id)
    }
}
