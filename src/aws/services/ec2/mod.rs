//! EC2 networking: VPC, subnets, internet gateway (with its attachment), Elastic IPs, NAT
//! gateways, route tables with their routes and associations, security groups and their rules.
//! Each kind's adapter is its own file beside this one (`vpc.rs`, `subnet.rs`, …); here are the
//! reader, the helpers they share and EC2's one tagging interface ([`Ec2Tags`]).
//!
//! Creates look up the ownership tags first and tag in the create call itself (TagSpecifications),
//! so a create that succeeded before a crash is found, not repeated; NAT gateways also carry a
//! client token. Reads are one filtered describe per kind (per page): route tables bring their
//! routes and associations, and one DescribeSecurityGroupRules brings every rule of our groups.
//! Rules are tagged with the ownership tags too (the catalog models no tags for them, but AWS
//! accepts them), so a rule the blueprint no longer has is still recognised as ours.

use aws_sdk_ec2::types::{
    Filter, ResourceType, RouteTable, SecurityGroup, SecurityGroupRule, Subnet, Tag,
    TagSpecification,
};
use serde::Serialize;
use serde_json::Value;

use super::{
    AwsRead, AwsResult, AwsStep, Found, StepResult, TagApi, not_found_as_none, outputs, sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, ADDRESS_TAG, BLUEPRINT_TAG, TagSet};
use crate::plan::catalog::network::{
    ElasticIpProps, NatGatewayProps, RouteProps, RouteTableAssociationProps, RouteTableProps,
    SubnetProps,
};
use crate::plan::catalog::security::{SecurityGroupProps, SecurityGroupRuleProps};
use crate::plan::{Address, ResourceKind as K};

// ---------------------------------------------------------------------------------------------
// Helpers

pub(super) fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

/// Filters for this blueprint's resources. The address is matched client-side ([`is_at`]):
/// addresses hold brackets, which moto's filters read as glob character classes (AWS's take them
/// literally).
pub(super) fn owned_filters(blueprint: &str) -> Vec<Filter> {
    vec![filter(&format!("tag:{BLUEPRINT_TAG}"), [blueprint])]
}

/// Whether tags carry the ownership address `address`.
fn is_at(tags: &[Tag], address: &Address) -> bool {
    tags.iter().any(|t| {
        t.key() == Some(ADDRESS_TAG) && t.value().is_some_and(|v| tags::is_address(v, address))
    })
}

fn ec2_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(super) fn tag_spec(resource: ResourceType, tags: &TagSet) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .set_tags(Some(ec2_tags(tags)))
        .build()
}

fn read_tags(tags: &[Tag]) -> TagSet {
    tags::from_pairs(
        tags.iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())),
    )
}

/// A found resource's tags, name and address.
fn base(read: &AwsRead<'_>, kind: K, id: &str, tags: &[Tag]) -> Found {
    let tags = read_tags(tags);
    let mut found = Found::new(kind, id).at(read.owned(&tags));
    if let Some(name) = tags.get("Name") {
        found = found.named(name.clone());
    }
    found.with("tags", tags::to_value(&tags))
}

/// EC2's CreateTags and DeleteTags, by resource id (every taggable EC2 kind, and the ownership
/// tags of an adopted security group rule).
pub struct Ec2Tags;

impl TagApi for Ec2Tags {
    async fn tag(step: &AwsStep<'_>, id: &str, tags: &TagSet) -> Result<(), StepError> {
        step.clients()
            .ec2
            .create_tags()
            .resources(id)
            .set_tags(Some(ec2_tags(tags)))
            .send()
            .await
            .aws()
            .map(drop)
    }

    async fn untag(step: &AwsStep<'_>, id: &str, keys: Vec<String>) -> Result<(), StepError> {
        let tags = keys.into_iter().map(|k| Tag::builder().key(k).build());
        step.clients()
            .ec2
            .delete_tags()
            .resources(id)
            .set_tags(Some(tags.collect()))
            .send()
            .await
            .aws()
            .map(drop)
    }
}

/// Update of a kind whose only in-place change is its tags.
pub(super) async fn update_tags(step: &AwsStep<'_>) -> StepResult {
    let id = step.existing_id()?;
    sync_tags::<Ec2Tags>(step, id).await?;
    Ok(step.request.existing.clone().unwrap_or_default())
}

/// Runs a delete call, treating NotFound as done.
pub(super) fn gone<T>(result: Result<T, StepError>) -> Result<Outputs, StepError> {
    not_found_as_none(result).map(|_| Outputs::new())
}

/// The first page of `Describe…` filtered by the blueprint's ownership tag: what a create looks
/// in before creating (a retry or a re-run finds its resource by tag).
/// `describe_owned!(step, describe_subnets)`; NAT gateways name their filter setter and filters.
macro_rules! describe_owned {
    ($step:expr, $describe:ident) => {
        describe_owned!(
            $step,
            $describe,
            set_filters,
            $crate::aws::services::ec2::owned_filters($step.blueprint)
        )
    };
    ($step:expr, $describe:ident, $set:ident, $filters:expr) => {{
        let sent = $step
            .clients()
            .ec2
            .$describe()
            .$set(Some($filters))
            .send()
            .await;
        $crate::aws::errors::AwsResult::aws(sent)
    }};
}
pub(super) use describe_owned;

/// The delete call `$delete` of the id the step found, NotFound counting as done.
macro_rules! delete_by_id {
    ($step:expr, $delete:ident, $id:ident) => {{
        let id = $step.existing_id()?;
        let sent = $step.clients().ec2.$delete().$id(id).send().await;
        $crate::aws::services::ec2::gone($crate::aws::errors::AwsResult::aws(sent))
    }};
}
pub(super) use delete_by_id;

/// The described resource this step's address tag names.
pub(super) fn at_address<'t, T>(
    step: &AwsStep<'_>,
    described: &'t [T],
    tags: impl Fn(&T) -> &[Tag],
) -> Option<&'t T> {
    described.iter().find(|t| is_at(tags(t), step.address()))
}

/// The id in a create call's answer; without one the call is retried.
pub(super) fn created_id(id: Option<&str>, operation: &str) -> Result<String, StepError> {
    id.map(str::to_string)
        .ok_or_else(|| StepError::transient("NoId", format!("{operation} returned no id")))
}

// ---------------------------------------------------------------------------------------------
// VPC

/// VPCs, subnets, internet gateways, Elastic IPs, NAT gateways and route tables (with routes and
/// associations): one describe per kind.
pub async fn read_network(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let (vpcs, subnets, gateways, addresses, nats, tables) = futures::try_join!(
        read_vpcs(read),
        read_subnets(read),
        read_internet_gateways(read),
        read_elastic_ips(read),
        read_nat_gateways(read),
        read_route_tables(read),
    )?;
    Ok([vpcs, subnets, gateways, addresses, nats, tables].concat())
}

/// The VPC settings read as attributes (`DescribeVpcs` does not carry them).
const VPC_DNS_ATTRIBUTES: [(&str, aws_sdk_ec2::types::VpcAttributeName); 2] = [
    (
        "enableDnsSupport",
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport,
    ),
    (
        "enableDnsHostnames",
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames,
    ),
];

async fn read_vpcs(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let client = &read.conn.clients.ec2;
    let pages = all_pages!(
        client
            .describe_vpcs()
            .set_filters(Some(owned_filters(read.blueprint)))
            .into_paginator()
            .send()
    );
    let vpcs: Vec<_> = pages
        .into_iter()
        .flat_map(|p| p.vpcs.unwrap_or_default())
        .collect();
    // Every VPC, and both of its attributes, at once.
    futures::future::try_join_all(vpcs.iter().map(|vpc| vpc_found(read, vpc)))
        .await
        .map(|found| found.into_iter().flatten().collect())
}

/// A listed VPC with its DNS attributes: one call each (blueprints have one VPC), both at once;
/// not for destroy.
async fn vpc_found(
    read: &AwsRead<'_>,
    vpc: &aws_sdk_ec2::types::Vpc,
) -> Result<Option<Found>, StepError> {
    let Some(id) = vpc.vpc_id() else {
        return Ok(None);
    };
    let mut f =
        base(read, K::Vpc, id, vpc.tags()).with("cidr", vpc.cidr_block().unwrap_or_default());
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
    for (key, value) in values {
        f = f.with(key, value);
    }
    // The catalog writes tags last.
    if let Some(tags) = f.properties.remove("tags") {
        f.properties.insert("tags".into(), tags);
    }
    Ok(Some(f))
}

/// One DNS attribute of VPC `id`, as (`key`, value).
async fn vpc_attribute(
    read: &AwsRead<'_>,
    id: &str,
    key: &'static str,
    attribute: &aws_sdk_ec2::types::VpcAttributeName,
) -> Result<(&'static str, bool), StepError> {
    let out = read
        .conn
        .clients
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

// ---------------------------------------------------------------------------------------------
// Subnet

/// Every subnet tagged for the blueprint: one DescribeSubnets per page (see
/// [`AwsRead::owned_subnets`], which keeps the answer for the other readers).
pub(crate) async fn describe_owned_subnets(read: &AwsRead<'_>) -> Result<Vec<Subnet>, StepError> {
    let pages = all_pages!(
        read.conn
            .clients
            .ec2
            .describe_subnets()
            .set_filters(Some(owned_filters(read.blueprint)))
            .into_paginator()
            .send()
    );
    Ok(pages
        .into_iter()
        .flat_map(|p| p.subnets.unwrap_or_default())
        .collect())
}

async fn read_subnets(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
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

// ---------------------------------------------------------------------------------------------
// Internet gateway (created and attached in one step: the catalog's `vpc` property)

async fn read_internet_gateways(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let pages = all_pages!(
        read.conn
            .clients
            .ec2
            .describe_internet_gateways()
            .set_filters(Some(owned_filters(read.blueprint)))
            .into_paginator()
            .send()
    );
    let gateways: Vec<_> = pages
        .into_iter()
        .flat_map(|p| p.internet_gateways.unwrap_or_default())
        .collect();
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

/// Adds properties before `tags` (the catalog writes tags last; the order only matters to
/// people reading an observed state).
fn reorder(found: Found, add: impl FnOnce(Found) -> Found) -> Found {
    let mut f = found;
    let tags = f.properties.remove("tags");
    let mut f = add(f);
    if let Some(tags) = tags {
        f.properties.insert("tags".into(), tags);
    }
    f
}

/// Adds a kind's properties struct (the catalog's keys, in its order) before `tags`: what is
/// read has the shape of what is desired.
fn with_props<T: Serialize>(found: Found, props: &T) -> Found {
    reorder(found, |mut f| {
        if let Ok(Value::Object(fields)) = serde_json::to_value(props) {
            f.properties.extend(fields);
        }
        f
    })
}

// ---------------------------------------------------------------------------------------------
// Elastic IP

async fn read_elastic_ips(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let out = read
        .conn
        .clients
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

// ---------------------------------------------------------------------------------------------
// NAT gateway

/// States of a NAT gateway that still exists (deleted ones stay visible for an hour).
pub(super) const LIVE_NAT_STATES: [&str; 2] = ["pending", "available"];

async fn read_nat_gateways(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let mut filters = owned_filters(read.blueprint);
    filters.push(filter("state", LIVE_NAT_STATES));
    let pages = all_pages!(
        read.conn
            .clients
            .ec2
            .describe_nat_gateways()
            .set_filter(Some(filters))
            .into_paginator()
            .send()
    );
    let nats: Vec<_> = pages
        .into_iter()
        .flat_map(|p| p.nat_gateways.unwrap_or_default())
        .collect();
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

// ---------------------------------------------------------------------------------------------
// Route tables, associations and routes

/// A route's outputs: its id `<table id>|<destination>` and what its delete needs.
pub(super) fn route_outputs(table: &str, destination: &str) -> Outputs {
    let mut out = outputs(&format!("{table}|{destination}"), None, None);
    out.insert("routeTableId".into(), Value::from(table));
    out.insert("destination".into(), Value::from(destination));
    out
}

async fn read_route_tables(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let pages = all_pages!(
        read.conn
            .clients
            .ec2
            .describe_route_tables()
            .set_filters(Some(owned_filters(read.blueprint)))
            .into_paginator()
            .send()
    );
    let tables: Vec<RouteTable> = pages
        .into_iter()
        .flat_map(|p| p.route_tables.unwrap_or_default())
        .collect();
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
            let (Some(association), Some(subnet)) = (a.route_table_association_id(), a.subnet_id())
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

// ---------------------------------------------------------------------------------------------
// Security groups and rules

pub(super) async fn group_rules(
    step: &AwsStep<'_>,
    group: &str,
) -> Result<Vec<SecurityGroupRule>, StepError> {
    step.clients()
        .ec2
        .describe_security_group_rules()
        .filters(filter("group-id", [group]))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .aws()
}

/// Security groups (one describe) and all their rules (one DescribeSecurityGroupRules per page).
pub async fn read_security_groups(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let client = &read.conn.clients.ec2;
    let pages = all_pages!(
        client
            .describe_security_groups()
            .set_filters(Some(owned_filters(read.blueprint)))
            .into_paginator()
            .send()
    );
    let groups: Vec<_> = pages
        .into_iter()
        .flat_map(|p| p.security_groups.unwrap_or_default())
        .collect();
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
        let pages = all_pages!(
            client
                .describe_security_group_rules()
                .filters(filter("group-id", chunk.iter().cloned()))
                .into_paginator()
                .send()
        );
        let rules: Vec<SecurityGroupRule> = pages
            .into_iter()
            .flat_map(|p| p.security_group_rules.unwrap_or_default())
            .collect();
        found.extend(rules.iter().filter_map(|r| rule_found(read, r, &groups)));
    }
    found.extend(read_rules_in_other_groups(read, &ids).await?);
    Ok(found)
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
    let client = &read.conn.clients.ec2;
    let pages = all_pages!(
        client
            .describe_security_group_rules()
            .set_filters(Some(owned_filters(read.blueprint)))
            .into_paginator()
            .send()
    );
    Ok(pages
        .into_iter()
        .flat_map(|p| p.security_group_rules.unwrap_or_default())
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
    groups: &'g [SecurityGroup],
    r: &SecurityGroupRule,
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
    r: &SecurityGroupRule,
    groups: &[SecurityGroup],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_filters_name_the_tags() {
        let f = owned_filters("demo");
        assert_eq!(f[0].name(), Some("tag:shinyctl.dev/blueprint"));
        let address = Address::new("network.subnet.data[a]");
        let tags = ec2_tags(&crate::aws::tags::ownership("demo", &address));
        assert!(is_at(&tags, &address));
        assert!(!is_at(&tags, &Address::new("network.subnet.dataa")));
    }
}
