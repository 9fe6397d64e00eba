//! The VPC, with its two DNS attributes (set after the create: CreateVpc does not take them;
//! DescribeVpcs does not carry them, so the read asks for each).

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName, VpcState};

use super::ec2::{
    Ec2Tags, at_address, base, created_id, delete_by_id, describe_all_owned, describe_owned,
    reorder, tag_spec,
};
use super::stages::{Read, after, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none, outputs, sync_tags,
};
use crate::apply::StepError;
use crate::apply::wait::has;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::network::VpcProps;

pub(crate) struct Vpc;

impl Adapter for Vpc {
    const READS: &'static [Read] = &[
        first(("ec2", "DescribeVpcs")),
        after(("ec2", "DescribeVpcAttribute"), &[("ec2", "DescribeVpcs")]),
    ];

    /// The owned VPCs (one DescribeVpcs per page) with their DNS attributes.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let vpcs = describe_all_owned!(read, describe_vpcs, vpcs);
        // Every VPC, and both of its attributes, at once.
        futures::future::try_join_all(vpcs.iter().map(|vpc| vpc_found(read, vpc)))
            .await
            .map(|found| found.into_iter().flatten().collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: VpcProps = step.props()?;
        let (id, available) = match find_vpc(step).await? {
            Some(id) => (id, false),
            None => {
                let out = step
                    .clients()
                    .ec2
                    .create_vpc()
                    .cidr_block(&props.cidr)
                    .tag_specifications(tag_spec(ResourceType::Vpc, &step.tags()))
                    .send()
                    .await
                    .aws()?;
                let vpc = out.vpc();
                // A VPC the answer already calls available needs no look.
                let available = vpc.and_then(|v| v.state()) == Some(&VpcState::Available);
                (
                    created_id(vpc.and_then(|v| v.vpc_id()), "CreateVpc")?,
                    available,
                )
            }
        };
        if !available {
            step.wait_until(|| vpc_state(step, &id), has(|s: &String| s == "available"))
                .await?;
        }
        set_vpc_dns(step, &props, &id, true).await?;
        Ok(outputs(&id, None, Some(step.name())))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: VpcProps = step.props()?;
        let id = step.existing_id()?;
        set_vpc_dns(step, &props, id, false).await?;
        sync_tags::<Ec2Tags>(step, id).await?;
        Ok(outputs(id, None, Some(step.name())))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        delete_by_id!(step, delete_vpc, vpc_id)
    }
}

async fn find_vpc(step: &AwsStep<'_>) -> Result<Option<String>, StepError> {
    let out = describe_owned!(step, describe_vpcs)?;
    Ok(at_address(step, out.vpcs(), |v| v.tags())
        .and_then(|v| v.vpc_id())
        .map(str::to_string))
}

async fn vpc_state(step: &AwsStep<'_>, id: &str) -> Result<Option<String>, StepError> {
    let out = not_found_as_none(
        step.clients()
            .ec2
            .describe_vpcs()
            .vpc_ids(id)
            .send()
            .await
            .aws(),
    )?;
    Ok(out.and_then(|o| {
        o.vpcs()
            .first()
            .and_then(|v| v.state().map(|s| s.as_str().to_string()))
    }))
}

/// Sets the DNS attributes the step changes (all of them with `force`, after a create).
async fn set_vpc_dns(
    step: &AwsStep<'_>,
    props: &VpcProps,
    id: &str,
    force: bool,
) -> Result<(), StepError> {
    let changes: Vec<(bool, bool)> = [
        ("enableDnsSupport", true, props.enable_dns_support),
        ("enableDnsHostnames", false, props.enable_dns_hostnames),
    ]
    .into_iter()
    .filter(|(key, _, _)| force || step.changed(key))
    .map(|(_, support, value)| (support, value))
    .collect();
    // One attribute per call: the API refuses both at once. Turning both on (what a new VPC
    // asks for) is order-free, so the two calls go together; otherwise support goes first, as
    // AWS checks hostnames against it.
    if changes.iter().all(|(_, value)| *value) {
        futures::future::try_join_all(
            changes
                .iter()
                .map(|(support, value)| set_vpc_attribute(step, id, *support, *value)),
        )
        .await?;
    } else {
        for (support, value) in changes {
            set_vpc_attribute(step, id, support, value).await?;
        }
    }
    Ok(())
}

/// `enableDnsSupport` (`support`) or `enableDnsHostnames` to `value`.
async fn set_vpc_attribute(
    step: &AwsStep<'_>,
    id: &str,
    support: bool,
    value: bool,
) -> Result<(), StepError> {
    let attribute = AttributeBooleanValue::builder().value(value).build();
    let request = step.clients().ec2.modify_vpc_attribute().vpc_id(id);
    let request = if support {
        request.enable_dns_support(attribute)
    } else {
        request.enable_dns_hostnames(attribute)
    };
    request.send().await.aws()?;
    Ok(())
}

/// The VPC settings read as attributes (`DescribeVpcs` does not carry them).
const VPC_DNS_ATTRIBUTES: [(&str, VpcAttributeName); 2] = [
    ("enableDnsSupport", VpcAttributeName::EnableDnsSupport),
    ("enableDnsHostnames", VpcAttributeName::EnableDnsHostnames),
];

/// A listed VPC with its DNS attributes: one call each (blueprints have one VPC), both at once;
/// not for destroy.
async fn vpc_found(
    read: &AwsRead<'_>,
    vpc: &aws_sdk_ec2::types::Vpc,
) -> Result<Option<Found>, StepError> {
    let Some(id) = vpc.vpc_id() else {
        return Ok(None);
    };
    let attributes = if read.inventory {
        &[][..]
    } else {
        &VPC_DNS_ATTRIBUTES[..]
    };
    let values = futures::future::try_join_all(
        attributes
            .iter()
            .map(|(key, attribute)| vpc_attribute(read, id, key, attribute)),
    )
    .await?;
    let cidr = vpc.cidr_block().unwrap_or_default();
    Ok(Some(reorder(base(read, K::Vpc, id, vpc.tags()), |f| {
        values
            .into_iter()
            .fold(f.with("cidr", cidr), |f, (key, value)| f.with(key, value))
    })))
}

/// One DNS attribute of VPC `id`, as (`key`, value).
async fn vpc_attribute(
    read: &AwsRead<'_>,
    id: &str,
    key: &'static str,
    attribute: &VpcAttributeName,
) -> Result<(&'static str, bool), StepError> {
    let out = read
        .clients()
        .ec2
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(attribute.clone())
        .send()
        .await
        .aws()?;
    let value = if key == "enableDnsSupport" {
        out.enable_dns_support().and_then(|a| a.value())
    } else {
        out.enable_dns_hostnames().and_then(|a| a.value())
    };
    Ok((key, value.unwrap_or(false)))
}
