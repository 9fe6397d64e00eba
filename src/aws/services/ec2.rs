//! EC2 networking: VPC, subnets, internet gateway (with its attachment), Elastic IPs, NAT
//! gateways, route tables with their routes and associations, security groups and their rules.
//!
//! Creates look up the ownership tags first and tag in the create call itself (TagSpecifications),
//! so a create that succeeded before a crash is found, not repeated; NAT gateways also carry a
//! client token. Reads are one filtered describe per kind (per page): route tables bring their
//! routes and associations, and one DescribeSecurityGroupRules brings every rule of our groups.
//! Rules are tagged with the ownership tags too (the catalog models no tags for them, but AWS
//! accepts them), so a rule the blueprint no longer has is still recognised as ours.

use aws_sdk_ec2::types::{
    AttributeBooleanValue, ConnectivityType, DomainType, Filter, IpPermission, IpRange,
    ResourceType, RouteTable, SecurityGroup, SecurityGroupRule, Subnet, Tag, TagSpecification,
    UserIdGroupPair, VpcState,
};
use serde_json::Value;

use super::{AwsRead, AwsResult, AwsStep, Found, is_not_found, not_found_as_none, outputs};
use crate::apply::wait::{has, is_gone};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, ADDRESS_TAG, BLUEPRINT_TAG, TagSet};
use crate::plan::{Address, ResourceKind as K};

// ---------------------------------------------------------------------------------------------
// Helpers

fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

/// Filters for this blueprint's resources. The address is matched client-side ([`is_at`]):
/// addresses hold brackets, which moto's filters read as glob character classes (AWS's take them
/// literally).
fn owned_filters(blueprint: &str) -> Vec<Filter> {
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

fn tag_spec(resource: ResourceType, tags: &TagSet) -> TagSpecification {
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

/// Makes the tags of `id` the desired ones (updates of every taggable EC2 kind).
async fn sync_tags(step: &AwsStep<'_>, id: &str) -> Result<(), StepError> {
    let (set, remove) = tags::changes(&step.observed_tags(), &step.tags());
    let client = &step.clients().ec2;
    if !remove.is_empty() {
        client
            .delete_tags()
            .resources(id)
            .set_tags(Some(
                remove
                    .iter()
                    .map(|k| Tag::builder().key(k).build())
                    .collect(),
            ))
            .send()
            .await
            .aws()?;
    }
    if !set.is_empty() {
        client
            .create_tags()
            .resources(id)
            .set_tags(Some(ec2_tags(&set)))
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

/// Update of a kind whose only in-place change is its tags.
pub async fn update_tags(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?;
    sync_tags(step, id).await?;
    Ok(step.request.existing.clone().unwrap_or_default())
}

/// Runs a delete call, treating NotFound as done.
fn gone<T>(result: Result<T, StepError>) -> Result<Outputs, StepError> {
    not_found_as_none(result).map(|_| Outputs::new())
}

/// The first page of `Describe…` filtered by the blueprint's ownership tag, counted: what a
/// create looks in before creating (a retry or a re-run finds its resource by tag).
/// `describe_owned!(step, "DescribeSubnets", describe_subnets)`; NAT gateways name their filter
/// setter and filters.
macro_rules! describe_owned {
    ($step:expr, $operation:literal, $describe:ident) => {
        describe_owned!(
            $step,
            $operation,
            $describe,
            set_filters,
            owned_filters($step.blueprint)
        )
    };
    ($step:expr, $operation:literal, $describe:ident, $set:ident, $filters:expr) => {{
        $step
            .clients()
            .ec2
            .$describe()
            .$set(Some($filters))
            .send()
            .await
            .aws()
    }};
}

/// The delete call `$delete` of the id the step found, NotFound counting as done.
macro_rules! delete_by_id {
    ($step:expr, $operation:literal, $delete:ident, $id:ident) => {{
        let id = $step.existing_id()?;
        gone($step.clients().ec2.$delete().$id(id).send().await.aws())
    }};
}

/// The described resource this step's address tag names.
fn at_address<'t, T>(
    step: &AwsStep<'_>,
    described: &'t [T],
    tags: impl Fn(&T) -> &[Tag],
) -> Option<&'t T> {
    described.iter().find(|t| is_at(tags(t), step.address()))
}

/// The id in a create call's answer; without one the call is retried.
fn created_id(id: Option<&str>, operation: &str) -> Result<String, StepError> {
    id.map(str::to_string)
        .ok_or_else(|| StepError::transient("NoId", format!("{operation} returned no id")))
}

// ---------------------------------------------------------------------------------------------
// VPC

async fn find_vpc(step: &AwsStep<'_>) -> Result<Option<String>, StepError> {
    let out = describe_owned!(step, "DescribeVpcs", describe_vpcs)?;
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

async fn set_vpc_dns(step: &AwsStep<'_>, id: &str, force: bool) -> Result<(), StepError> {
    let changes: Vec<(bool, bool)> = [("enableDnsSupport", true), ("enableDnsHostnames", false)]
        .into_iter()
        .filter(|(key, _)| force || step.changed(key))
        .filter_map(|(key, support)| step.bool(key).map(|value| (support, value)))
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

pub async fn create_vpc(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let (id, available) = match find_vpc(step).await? {
        Some(id) => (id, false),
        None => {
            let out = step
                .clients()
                .ec2
                .create_vpc()
                .cidr_block(step.str("cidr")?)
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
    set_vpc_dns(step, &id, true).await?;
    Ok(outputs(&id, None, Some(step.name())))
}

pub async fn update_vpc(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?;
    set_vpc_dns(step, id, false).await?;
    if step.changed("tags") {
        sync_tags(step, id).await?;
    }
    Ok(outputs(id, None, Some(step.name())))
}

pub async fn delete_vpc(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    delete_by_id!(step, "DeleteVpc", delete_vpc, vpc_id)
}

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

pub async fn create_subnet(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let existing = describe_owned!(step, "DescribeSubnets", describe_subnets)?;
    let id = match at_address(step, existing.subnets(), |s| s.tags()).and_then(|s| s.subnet_id()) {
        Some(id) => id.to_string(),
        None => {
            let out = step
                .clients()
                .ec2
                .create_subnet()
                .vpc_id(step.reference("vpc")?)
                .cidr_block(step.str("cidr")?)
                .availability_zone(step.str("availabilityZone")?)
                .tag_specifications(tag_spec(ResourceType::Subnet, &step.tags()))
                .send()
                .await
                .aws()?;
            created_id(out.subnet().and_then(|s| s.subnet_id()), "CreateSubnet")?
        }
    };
    if step.bool("mapPublicIpOnLaunch") == Some(true) {
        set_map_public_ip(step, &id, true).await?;
    }
    Ok(outputs(&id, None, Some(step.name())))
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

pub async fn update_subnet(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?;
    if step.changed("mapPublicIpOnLaunch") {
        set_map_public_ip(step, id, step.bool("mapPublicIpOnLaunch").unwrap_or(false)).await?;
    }
    if step.changed("tags") {
        sync_tags(step, id).await?;
    }
    Ok(outputs(id, None, Some(step.name())))
}

pub async fn delete_subnet(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    delete_by_id!(step, "DeleteSubnet", delete_subnet, subnet_id)
}

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
            Some(reorder(base(read, K::Subnet, id, s.tags()), |f| {
                f.with("cidr", s.cidr_block().unwrap_or_default())
                    .with(
                        "availabilityZone",
                        s.availability_zone().unwrap_or_default(),
                    )
                    .with("vpc", s.vpc_id().unwrap_or_default())
                    .with(
                        "mapPublicIpOnLaunch",
                        s.map_public_ip_on_launch().unwrap_or(false),
                    )
            }))
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Internet gateway (created and attached in one step: the catalog's `vpc` property)

pub async fn create_internet_gateway(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let vpc = step.reference("vpc")?;
    let existing = describe_owned!(step, "DescribeInternetGateways", describe_internet_gateways)?;
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

pub async fn delete_internet_gateway(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
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
    gone(
        step.clients()
            .ec2
            .delete_internet_gateway()
            .internet_gateway_id(id)
            .send()
            .await
            .aws(),
    )
}

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

// ---------------------------------------------------------------------------------------------
// Elastic IP

pub async fn create_elastic_ip(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let existing = describe_owned!(step, "DescribeAddresses", describe_addresses)?;
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
        .domain(DomainType::Vpc)
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

pub async fn delete_elastic_ip(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    delete_by_id!(step, "ReleaseAddress", release_address, allocation_id)
}

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
            let domain = a.domain().map(|d| d.as_str()).unwrap_or("vpc").to_string();
            Some(
                reorder(base(read, K::ElasticIp, id, a.tags()), |f| {
                    f.with("domain", domain)
                })
                .output("publicIp", a.public_ip().unwrap_or_default()),
            )
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// NAT gateway

/// States of a NAT gateway that still exists (deleted ones stay visible for an hour).
const LIVE_NAT_STATES: [&str; 2] = ["pending", "available"];

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

pub async fn create_nat_gateway(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let mut filters = owned_filters(step.blueprint);
    filters.push(filter("state", LIVE_NAT_STATES));
    let existing = describe_owned!(
        step,
        "DescribeNatGateways",
        describe_nat_gateways,
        set_filter,
        filters
    )?;
    let id = match at_address(step, existing.nat_gateways(), |n| n.tags())
        .and_then(|n| n.nat_gateway_id())
    {
        Some(id) => id.to_string(),
        None => {
            let connectivity = match step.opt_str("connectivity") {
                Some("private") => ConnectivityType::Private,
                _ => ConnectivityType::Public,
            };
            let out = step
                .clients()
                .ec2
                .create_nat_gateway()
                .subnet_id(step.reference("subnet")?)
                .allocation_id(step.reference("allocation")?)
                .connectivity_type(connectivity)
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

pub async fn delete_nat_gateway(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
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
            Some(reorder(base(read, K::NatGateway, id, n.tags()), |f| {
                f.with("subnet", subnet)
                    .with("allocation", allocation)
                    .with("connectivity", connectivity)
            }))
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Route tables, associations and routes

pub async fn create_route_table(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let existing = describe_owned!(step, "DescribeRouteTables", describe_route_tables)?;
    if let Some(id) =
        at_address(step, existing.route_tables(), |t| t.tags()).and_then(|t| t.route_table_id())
    {
        return Ok(outputs(id, None, Some(step.name())));
    }
    let out = step
        .clients()
        .ec2
        .create_route_table()
        .vpc_id(step.reference("vpc")?)
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

pub async fn delete_route_table(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    delete_by_id!(step, "DeleteRouteTable", delete_route_table, route_table_id)
}

/// The subnet's current explicit association: (association id, route table id).
async fn subnet_association(
    step: &AwsStep<'_>,
    subnet: &str,
) -> Result<Option<(String, String)>, StepError> {
    let out = step
        .clients()
        .ec2
        .describe_route_tables()
        .filters(filter("association.subnet-id", [subnet]))
        .send()
        .await
        .aws()?;
    Ok(out.route_tables().iter().find_map(|t| {
        t.associations().iter().find_map(|a| {
            (a.subnet_id() == Some(subnet)).then(|| {
                (
                    a.route_table_association_id()
                        .unwrap_or_default()
                        .to_string(),
                    a.route_table_id().unwrap_or_default().to_string(),
                )
            })
        })
    }))
}

pub async fn create_association(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let subnet = step.reference("subnet")?;
    let table = step.reference("routeTable")?;
    let id = match subnet_association(step, &subnet).await? {
        Some((id, current)) if current == table => id,
        Some((id, _)) => {
            // Associated elsewhere (a re-pointed subnet): move it.
            let out = step
                .clients()
                .ec2
                .replace_route_table_association()
                .association_id(id)
                .route_table_id(&table)
                .send()
                .await
                .aws()?;
            out.new_association_id().unwrap_or_default().to_string()
        }
        None => {
            let out = step
                .clients()
                .ec2
                .associate_route_table()
                .subnet_id(&subnet)
                .route_table_id(&table)
                .send()
                .await
                .aws()?;
            out.association_id()
                .ok_or_else(|| StepError::transient("NoId", "AssociateRouteTable returned no id"))?
                .to_string()
        }
    };
    Ok(outputs(&id, None, Some(step.name())))
}

pub async fn update_association(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    create_association(step).await
}

pub async fn delete_association(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?;
    gone(
        step.clients()
            .ec2
            .disassociate_route_table()
            .association_id(id)
            .send()
            .await
            .aws(),
    )
}

/// `igw-…` goes in GatewayId, `nat-…` in NatGatewayId.
fn is_nat(target: &str) -> bool {
    target.starts_with("nat-")
}

pub async fn create_route(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let table = step.reference("routeTable")?;
    let destination = step.str("destination")?.to_string();
    let target = step.reference("target")?;
    let request = step
        .clients()
        .ec2
        .create_route()
        .route_table_id(&table)
        .destination_cidr_block(&destination);
    let request = if is_nat(&target) {
        request.nat_gateway_id(&target)
    } else {
        request.gateway_id(&target)
    };
    match request.send().await.aws() {
        Ok(_) => {}
        // Already there (a re-run, or someone else's route): make it point where we want.
        Err(e) if e.code == "RouteAlreadyExists" => {
            let request = step
                .clients()
                .ec2
                .replace_route()
                .route_table_id(&table)
                .destination_cidr_block(&destination);
            let request = if is_nat(&target) {
                request.nat_gateway_id(&target)
            } else {
                request.gateway_id(&target)
            };
            request.send().await.aws()?;
        }
        Err(e) => return Err(e),
    }
    Ok(route_outputs(&table, &destination))
}

fn route_outputs(table: &str, destination: &str) -> Outputs {
    let mut out = outputs(&format!("{table}|{destination}"), None, None);
    out.insert("routeTableId".into(), Value::from(table));
    out.insert("destination".into(), Value::from(destination));
    out
}

pub async fn delete_route(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?;
    let (table, destination) = match (step.existing("routeTableId"), step.existing("destination")) {
        (Some(t), Some(d)) => (t.to_string(), d.to_string()),
        _ => id
            .split_once('|')
            .map(|(t, d)| (t.to_string(), d.to_string()))
            .ok_or_else(|| {
                super::super::errors::missing(format!("{}: route id {id}", step.address()))
            })?,
    };
    gone(
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
        found.push(reorder(base(read, K::RouteTable, id, t.tags()), |f| {
            f.with("vpc", vpc)
        }));
        for a in t.associations() {
            let (Some(association), Some(subnet)) = (a.route_table_association_id(), a.subnet_id())
            else {
                continue;
            };
            if a.main() == Some(true) {
                continue;
            }
            found.push(
                Found::new(K::RouteTableAssociation, association)
                    .with("subnet", subnet)
                    .with("routeTable", id),
            );
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
            let mut f = Found::new(K::Route, format!("{id}|{destination}"))
                .with("routeTable", id)
                .with("destination", destination)
                .with("target", target);
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

pub async fn create_security_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let vpc = step.reference("vpc")?;
    let name = step.opt_str("groupName").unwrap_or(step.name()).to_string();
    let existing = describe_owned!(step, "DescribeSecurityGroups", describe_security_groups)?;
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
        .description(step.str("description")?)
        .vpc_id(&vpc)
        .tag_specifications(tag_spec(ResourceType::SecurityGroup, &step.tags()))
        .send()
        .await
        .aws()?;
    let id = created_id(out.group_id(), "CreateSecurityGroup")?;
    revoke_default_egress(step, &id).await?;
    Ok(outputs(&id, None, Some(&name)))
}

/// AWS's allow-all egress rule, which every new group gets.
fn default_egress() -> IpPermission {
    IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(IpRange::builder().cidr_ip(DEFAULT_EGRESS_CIDR).build())
        .build()
}

const DEFAULT_EGRESS_CIDR: &str = "0.0.0.0/0";

/// Removes the allow-all egress AWS gives a new group, so a group's rules are exactly its rule
/// resources: the catalog states the egress each group needs (the nodes' allow-all comes back as
/// a tagged rule of its own). One call, by permission; already gone is fine.
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

pub async fn delete_security_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    delete_by_id!(step, "DeleteSecurityGroup", delete_security_group, group_id)
}

/// EC2 has one operation per rule direction, with the same inputs: `$build` is applied to the
/// request builder of the one `$egress` picks, and the call counted under its name.
macro_rules! per_direction {
    (
        $step:expr, $egress:expr,
        ($egress_op:literal, $egress_call:ident),
        ($ingress_op:literal, $ingress_call:ident),
        |$request:ident| $build:expr
    ) => {
        if $egress {
            let $request = $step.clients().ec2.$egress_call();
            $build
        } else {
            let $request = $step.clients().ec2.$ingress_call();
            $build
        }
    };
}

/// A rule's identity as the catalog writes it (source resolved to an id or CIDR).
struct RuleSpec {
    group: String,
    egress: bool,
    protocol: String,
    from_port: i32,
    to_port: i32,
    source: String,
    source_is_group: bool,
    description: String,
}

impl RuleSpec {
    fn of(step: &AwsStep<'_>) -> Result<Self, StepError> {
        let port = |key: &str| -> Result<i32, StepError> {
            step.i64(key)
                .and_then(|p| i32::try_from(p).ok())
                .ok_or_else(|| {
                    super::super::errors::missing(format!("{}: `{key}`", step.address()))
                })
        };
        Ok(RuleSpec {
            group: step.reference("securityGroup")?,
            egress: step.str("direction")? == "egress",
            protocol: step.str("protocol")?.to_string(),
            from_port: port("fromPort")?,
            to_port: port("toPort")?,
            source: step.reference("source")?,
            source_is_group: step.opt_str("sourceType") == Some("securityGroup"),
            description: step.opt_str("description").unwrap_or_default().to_string(),
        })
    }

    fn permission(&self) -> IpPermission {
        let mut p = IpPermission::builder()
            .ip_protocol(&self.protocol)
            .from_port(self.from_port)
            .to_port(self.to_port);
        if self.source_is_group {
            p = p.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(&self.source)
                    .description(&self.description)
                    .build(),
            );
        } else {
            p = p.ip_ranges(
                IpRange::builder()
                    .cidr_ip(&self.source)
                    .description(&self.description)
                    .build(),
            );
        }
        p.build()
    }

    /// Whether an AWS rule is this one (ignoring the description). AWS reports ports -1 for
    /// all-traffic rules whatever was sent.
    fn matches(&self, r: &SecurityGroupRule) -> bool {
        let all = self.protocol == "-1";
        let source = r
            .referenced_group_info()
            .and_then(|g| g.group_id())
            .or(r.cidr_ipv4());
        r.group_id() == Some(self.group.as_str())
            && r.is_egress() == Some(self.egress)
            && r.ip_protocol() == Some(self.protocol.as_str())
            && (all || (r.from_port() == Some(self.from_port) && r.to_port() == Some(self.to_port)))
            && source == Some(self.source.as_str())
    }
}

async fn group_rules(step: &AwsStep<'_>, group: &str) -> Result<Vec<SecurityGroupRule>, StepError> {
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

fn rule_outputs(id: &str, spec: &RuleSpec) -> Outputs {
    let mut out = outputs(id, None, None);
    out.insert("groupId".into(), Value::from(spec.group.clone()));
    out.insert("egress".into(), Value::from(spec.egress));
    out
}

pub async fn create_security_group_rule(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let spec = RuleSpec::of(step)?;
    let tags = tag_spec(ResourceType::SecurityGroupRule, &step.ownership_tags());
    let result = per_direction!(
        step,
        spec.egress,
        (
            "AuthorizeSecurityGroupEgress",
            authorize_security_group_egress
        ),
        (
            "AuthorizeSecurityGroupIngress",
            authorize_security_group_ingress
        ),
        |request| request
            .group_id(&spec.group)
            .ip_permissions(spec.permission())
            .tag_specifications(tags)
            .send()
            .await
            .aws()
            .map(|o| {
                o.security_group_rules()
                    .first()
                    .and_then(|r| r.security_group_rule_id())
                    .map(str::to_string)
            })
    );
    match result {
        Ok(Some(id)) => Ok(rule_outputs(&id, &spec)),
        Ok(None) => adopt_rule(step, &spec).await,
        // Already there: a re-run, or the same rule added by hand (or AWS's default egress on a
        // group made before shinyctl revoked it). Adopt it: our description and ownership tags.
        Err(e) if e.code == "InvalidPermission.Duplicate" => adopt_rule(step, &spec).await,
        Err(e) => Err(e),
    }
}

async fn adopt_rule(step: &AwsStep<'_>, spec: &RuleSpec) -> Result<Outputs, StepError> {
    let rules = group_rules(step, &spec.group).await?;
    let rule = rules.iter().find(|r| spec.matches(r)).ok_or_else(|| {
        StepError::transient("RuleNotVisible", "the rule exists but is not listed yet")
    })?;
    let id = rule
        .security_group_rule_id()
        .unwrap_or_default()
        .to_string();
    if rule.description().unwrap_or_default() != spec.description {
        set_rule_description(step, spec).await?;
    }
    step.clients()
        .ec2
        .create_tags()
        .resources(&id)
        .set_tags(Some(ec2_tags(&step.ownership_tags())))
        .send()
        .await
        .aws()?;
    Ok(rule_outputs(&id, spec))
}

/// Sets a rule's description. The IpPermissions form (not SecurityGroupRuleDescriptions) works
/// in AWS and in moto, which ignores the other.
async fn set_rule_description(step: &AwsStep<'_>, spec: &RuleSpec) -> Result<(), StepError> {
    per_direction!(
        step,
        spec.egress,
        (
            "UpdateSecurityGroupRuleDescriptionsEgress",
            update_security_group_rule_descriptions_egress
        ),
        (
            "UpdateSecurityGroupRuleDescriptionsIngress",
            update_security_group_rule_descriptions_ingress
        ),
        |request| request
            .group_id(&spec.group)
            .ip_permissions(spec.permission())
            .send()
            .await
            .aws()
            .map(|_| ())
    )
}

/// Only the description changes in place (everything else is the rule's identity).
pub async fn update_security_group_rule(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let spec = RuleSpec::of(step)?;
    let id = step.existing_id()?;
    set_rule_description(step, &spec).await?;
    Ok(rule_outputs(id, &spec))
}

pub async fn delete_security_group_rule(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?;
    let group = match step.existing("groupId") {
        Some(group) => group.to_string(),
        None => step.reference("securityGroup")?,
    };
    let egress = step
        .request
        .existing
        .as_ref()
        .and_then(|o| o.get("egress"))
        .and_then(Value::as_bool)
        .unwrap_or(step.opt_str("direction") == Some("egress"));
    let result = per_direction!(
        step,
        egress,
        ("RevokeSecurityGroupEgress", revoke_security_group_egress),
        ("RevokeSecurityGroupIngress", revoke_security_group_ingress),
        |request| request
            .group_id(group)
            .security_group_rule_ids(id)
            .send()
            .await
            .aws()
            .map(|_| ())
    );
    // The group itself may be gone already (InvalidGroup.NotFound).
    match result {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(Outputs::new()),
    }
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
        let name = g.group_name().unwrap_or_default().to_string();
        let description = g.description().unwrap_or_default().to_string();
        let vpc = g.vpc_id().unwrap_or_default().to_string();
        found.push(
            reorder(base(read, K::SecurityGroup, id, g.tags()), |f| {
                f.with("groupName", name)
                    .with("description", description)
                    .with("vpc", vpc)
            })
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
    let mut f = Found::new(K::SecurityGroupRule, id)
        .with("securityGroup", group)
        .with("direction", if egress { "egress" } else { "ingress" })
        .with("protocol", r.ip_protocol().unwrap_or("-1"))
        .with("fromPort", r.from_port().unwrap_or(-1))
        .with("toPort", r.to_port().unwrap_or(-1))
        .with("source", source)
        .with("sourceType", source_type)
        .with(
            "description",
            r.description()
                .or_else(|| {
                    (source_type == "securityGroup")
                        .then(|| pair_description(groups, r, source))
                        .flatten()
                })
                .unwrap_or_default(),
        )
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

    #[test]
    fn route_targets() {
        assert!(is_nat("nat-0abc"));
        assert!(!is_nat("igw-0abc"));
        let out = route_outputs("rtb-1", "0.0.0.0/0");
        assert_eq!(out["id"], "rtb-1|0.0.0.0/0");
    }
}
