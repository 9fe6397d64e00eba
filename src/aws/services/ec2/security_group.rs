//! A security group. AWS gives every new group an allow-all egress rule; the create revokes it,
//! so a group's rules are exactly its rule resources (the catalog states the egress each group
//! needs, and the nodes' allow-all comes back as a tagged rule of its own).

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType};

use super::ec2::{
    at_address, created_id, delete_by_id, describe_owned, group_rules, tag_spec, update_tags,
};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, outputs};
use crate::apply::StepError;
use crate::aws::tags::ADDRESS_TAG;
use crate::plan::catalog::security::SecurityGroupProps;

pub struct SecurityGroup;

impl Adapter for SecurityGroup {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: SecurityGroupProps = step.props()?;
        let vpc = step.resolve(&props.vpc)?;
        let name = props.group_name;
        let existing = describe_owned!(step, describe_security_groups)?;
        if let Some(id) =
            at_address(step, existing.security_groups(), |g| g.tags()).and_then(|g| g.group_id())
        {
            // A retry after the create landed: the default egress may not have been revoked yet.
            revoke_untagged_default_egress(step, id).await?;
            return Ok(outputs(id, None, Some(&name)));
        }
        let out = step
            .clients()
            .ec2
            .create_security_group()
            .group_name(&name)
            .description(&props.description)
            .vpc_id(&vpc)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, &step.tags()))
            .send()
            .await
            .aws()?;
        let id = created_id(out.group_id(), "CreateSecurityGroup")?;
        revoke_default_egress(step, &id).await?;
        Ok(outputs(&id, None, Some(&name)))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        update_tags(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        delete_by_id!(step, delete_security_group, group_id)
    }
}

/// AWS's allow-all egress rule, which every new group gets.
fn default_egress() -> IpPermission {
    IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(IpRange::builder().cidr_ip(DEFAULT_EGRESS_CIDR).build())
        .build()
}

const DEFAULT_EGRESS_CIDR: &str = "0.0.0.0/0";

/// Removes the allow-all egress AWS gives a new group. One call, by permission; already gone is
/// fine.
async fn revoke_default_egress(step: &AwsStep<'_>, group: &str) -> Result<(), StepError> {
    let result = step
        .clients()
        .ec2
        .revoke_security_group_egress()
        .group_id(group)
        .ip_permissions(default_egress())
        .send()
        .await
        .aws();
    not_found_as_none(result).map(|_| ())
}

/// [`revoke_default_egress`] for a group that may already have our rules: only an untagged
/// allow-all egress goes (a tagged one is a rule resource of ours).
async fn revoke_untagged_default_egress(step: &AwsStep<'_>, group: &str) -> Result<(), StepError> {
    let rules = group_rules(step, group).await?;
    let untagged_default = rules.iter().any(|r| {
        r.is_egress() == Some(true)
            && r.ip_protocol() == Some("-1")
            && r.cidr_ipv4() == Some(DEFAULT_EGRESS_CIDR)
            && !r.tags().iter().any(|t| t.key() == Some(ADDRESS_TAG))
    });
    if untagged_default {
        revoke_default_egress(step, group).await?;
    }
    Ok(())
}
