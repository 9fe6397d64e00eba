//! A security group. AWS gives every new group an allow-all egress rule; the create revokes it,
//! so a group's rules are exactly its rule resources (the catalog states the egress each group
//! needs, and the nodes' allow-all comes back as a tagged rule of its own). The groups' read
//! finds their rules too (`security_group_rule.rs` is read here).

use aws_sdk_ec2::types::{
    IpPermission, IpRange, ResourceType, SecurityGroup as AwsSecurityGroup,
    SecurityGroupRule as AwsSecurityGroupRule,
};
use serde_json::Value;

use super::ec2::{
    at_address, base, created_id, delete_by_id, describe_all_owned, describe_owned, filter,
    group_rules, owned_filters, read_tags, tag_spec, update_tags, with_props,
};
use super::stages::{Read, after, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none, outputs};
use crate::apply::StepError;
use crate::aws::tags::ADDRESS_TAG;
use crate::plan::catalog::security::{SecurityGroupProps, SecurityGroupRuleProps};
use crate::plan::{Address, ResourceKind as K};

pub(crate) struct SecurityGroup;

impl Adapter for SecurityGroup {
    const READS: &'static [Read] = &[
        first(("ec2", "DescribeSecurityGroups")),
        after(
            ("ec2", "DescribeSecurityGroupRules"),
            &[("ec2", "DescribeSecurityGroups")],
        ),
    ];

    /// Security groups (one describe) and all their rules (one DescribeSecurityGroupRules per page).
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let client = &read.clients().ec2;
        let groups = describe_all_owned!(read, describe_security_groups, security_groups);
        let mut found = Vec::new();
        let mut ids = Vec::new();
        for g in &groups {
            let Some(id) = g.group_id() else { continue };
            ids.push(id.to_string());
            let props = SecurityGroupProps {
                group_name: g.group_name().unwrap_or_default().to_string(),
                description: g.description().unwrap_or_default().to_string(),
                vpc: g.vpc_id().unwrap_or_default().to_string(),
            };
            found.push(
                with_props(base(read, K::SecurityGroup, id, g.tags()), &props)
                    .output("name", g.group_name().unwrap_or_default()),
            );
        }
        if ids.is_empty() {
            return Ok(found);
        }
        // DescribeSecurityGroupRules takes at most 200 filter values.
        for chunk in ids.chunks(200) {
            let rules: Vec<AwsSecurityGroupRule> = all_items!(
                client
                    .describe_security_group_rules()
                    .filters(filter("group-id", chunk.iter().cloned())),
                security_group_rules
            );
            found.extend(rules.iter().filter_map(|r| rule_found(read, r, &groups)));
        }
        found.extend(read_rules_in_other_groups(read, &ids).await?);
        Ok(found)
    }

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

/// Our rules in a group shinyctl did not make (the cluster security group EKS makes, opened to
/// the load balancer for Fargate targets): one DescribeSecurityGroupRules by ownership tag, made
/// only when the blueprint asks for such a rule.
async fn read_rules_in_other_groups(
    read: &AwsRead<'_>,
    owned_groups: &[String],
) -> Result<Vec<Found>, StepError> {
    let wanted = read.desired_of(K::SecurityGroupRule).any(|r| {
        r.properties
            .get("securityGroup")
            .and_then(Value::as_str)
            .is_some_and(|g| g.contains('#'))
    });
    if !wanted {
        return Ok(Vec::new());
    }
    let client = &read.clients().ec2;
    Ok(all_items!(
        client
            .describe_security_group_rules()
            .set_filters(Some(owned_filters(read.blueprint))),
        security_group_rules
    )
    .into_iter()
    .filter(|r| {
        !owned_groups
            .iter()
            .any(|g| Some(g.as_str()) == r.group_id())
    })
    .filter_map(|r| rule_found(read, &r, &[]))
    .collect())
}

/// A group-referencing rule's description from DescribeSecurityGroups (moto leaves it out of
/// DescribeSecurityGroupRules; AWS has it in both).
fn pair_description<'g>(
    groups: &'g [AwsSecurityGroup],
    r: &AwsSecurityGroupRule,
    source: &str,
) -> Option<&'g str> {
    let group = groups.iter().find(|g| g.group_id() == r.group_id())?;
    let permissions = if r.is_egress() == Some(true) {
        group.ip_permissions_egress()
    } else {
        group.ip_permissions()
    };
    permissions
        .iter()
        .filter(|p| {
            p.ip_protocol() == r.ip_protocol()
                && (p.ip_protocol() == Some("-1")
                    || (p.from_port() == r.from_port() && p.to_port() == r.to_port()))
        })
        .flat_map(|p| p.user_id_group_pairs())
        .find(|pair| pair.group_id() == Some(source))
        .and_then(|pair| pair.description())
}

fn rule_found(
    read: &AwsRead<'_>,
    r: &AwsSecurityGroupRule,
    groups: &[AwsSecurityGroup],
) -> Option<Found> {
    let id = r.security_group_rule_id()?;
    let group = r.group_id()?;
    let (source, source_type) = match (
        r.referenced_group_info().and_then(|g| g.group_id()),
        r.cidr_ipv4(),
    ) {
        (Some(g), _) => (g, "securityGroup"),
        (None, Some(cidr)) => (cidr, "cidr"),
        _ => return None, // IPv6 and prefix lists: not something shinyctl writes.
    };
    let egress = r.is_egress().unwrap_or(false);
    let tags = read_tags(r.tags());
    let address = read.owned(&tags);
    let description = r.description().or_else(|| {
        (source_type == "securityGroup")
            .then(|| pair_description(groups, r, source))
            .flatten()
    });
    let props = SecurityGroupRuleProps {
        security_group: group.to_string(),
        direction: if egress { "egress" } else { "ingress" }.to_string(),
        protocol: r.ip_protocol().unwrap_or("-1").to_string(),
        from_port: r.from_port().unwrap_or(-1),
        to_port: r.to_port().unwrap_or(-1),
        source: source.to_string(),
        source_type: source_type.to_string(),
        description: description.unwrap_or_default().to_string(),
    };
    let mut f = with_props(Found::new(K::SecurityGroupRule, id), &props)
        .output("groupId", group)
        .output("egress", egress);
    // Tagged rules are ours by their tag, even when the blueprint no longer has them; untagged
    // ones count when a desired rule matches. An untagged egress rule in one of our groups that
    // none matches (AWS's default allow-all put back by hand) is drift, listed so the plan
    // deletes it: the catalog states every egress our groups need. Untagged ingress rules are
    // left alone: controllers add them (the load balancer controller opens the nodes to its own
    // groups).
    if address.is_some() {
        f = f.at(address);
    } else if egress
        && let Some(group_address) = groups
            .iter()
            .find(|g| g.group_id() == Some(group))
            .and_then(|g| read.owned(&read_tags(g.tags())))
    {
        f = f.orphan_at(Address::new(format!(
            "{group_address}.unlisted_egress[{id}]"
        )));
    }
    Some(f)
}
