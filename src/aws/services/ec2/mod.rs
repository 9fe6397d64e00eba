//! EC2 networking: VPC, subnets, internet gateway (with its attachment), Elastic IPs, NAT
//! gateways, route tables with their routes and associations, security groups and their rules.
//! Each kind's adapter and reader is its own file beside this one (`vpc.rs`, `subnet.rs`, …);
//! here are the helpers they share and EC2's one tagging interface ([`Ec2Tags`]).
//!
//! Creates look up the ownership tags first and tag in the create call itself (TagSpecifications),
//! so a create that succeeded before a crash is found, not repeated; NAT gateways also carry a
//! client token. Reads are one filtered describe per kind (per page, `describe_all_owned!`):
//! route tables bring their routes and associations (`route_table.rs` reads all three), and one
//! DescribeSecurityGroupRules brings every rule of our groups (`security_group.rs` reads both).
//! Rules are tagged with the ownership tags too (the catalog models no tags for them, but AWS
//! accepts them), so a rule the blueprint no longer has is still recognised as ours.

use aws_sdk_ec2::types::{Filter, ResourceType, SecurityGroupRule, Subnet, Tag, TagSpecification};
use serde::Serialize;
use serde_json::Value;

use super::{AwsRead, AwsResult, AwsStep, Found, StepResult, TagApi, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, BLUEPRINT_TAG, TagSet};
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
    tags::carry_address(tags.iter().map(|t| (t.key(), t.value())), address)
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

pub(super) fn read_tags(tags: &[Tag]) -> TagSet {
    tags::from_pairs(
        tags.iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())),
    )
}

/// A found resource's tags, name and address.
pub(super) fn base(read: &AwsRead<'_>, kind: K, id: &str, tags: &[Tag]) -> Found {
    let tags = read_tags(tags);
    let mut found = Found::new(kind, id).at(read.owned(&tags));
    if let Some(name) = tags.get("Name") {
        found = found.named(name.clone());
    }
    found.with("tags", tags::to_value(&tags))
}

/// EC2's CreateTags and DeleteTags, by resource id (every taggable EC2 kind, and the ownership
/// tags of an adopted security group rule).
pub(crate) struct Ec2Tags;

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
        $crate::aws::services::deleted($crate::aws::errors::AwsResult::aws(sent))
    }};
}
pub(super) use delete_by_id;

/// The described resource this step's address tag names.
pub(super) fn at_address<'t, T>(
    step: &AwsStep<'_>,
    described: &'t [T],
    tags: impl Fn(&T) -> &[Tag],
) -> Option<&'t T> {
    // The blueprint's tag too, not only the filter's word for it: another blueprint's resource
    // at the same address is never adopted (ownership by tags).
    described.iter().find(|t| {
        let tags = tags(t);
        is_at(tags, step.address())
            && tags
                .iter()
                .any(|t| t.key() == Some(BLUEPRINT_TAG) && t.value() == Some(step.blueprint))
    })
}

/// The id in a create call's answer; without one the call is retried.
pub(super) fn created_id(id: Option<&str>, operation: &str) -> Result<String, StepError> {
    id.map(str::to_string)
        .ok_or_else(|| StepError::transient("NoId", format!("{operation} returned no id")))
}

/// Every page of `Describe…` filtered by the blueprint's ownership tag, as the answer's list
/// `$list`: the read's one listing of a kind. Evaluates to a `Vec`; SDK errors return from the
/// enclosing function. `describe_all_owned!(read, describe_vpcs, vpcs)`.
macro_rules! describe_all_owned {
    ($read:expr, $describe:ident, $list:ident) => {
        all_items!(
            $read.clients().ec2.$describe().set_filters(Some(
                $crate::aws::services::ec2::owned_filters($read.blueprint)
            )),
            $list
        )
    };
}
pub(super) use describe_all_owned;

/// Every subnet tagged for the blueprint: one DescribeSubnets per page (see
/// [`AwsRead::owned_subnets`], which keeps the answer for the other readers).
pub(crate) async fn describe_owned_subnets(read: &AwsRead<'_>) -> Result<Vec<Subnet>, StepError> {
    Ok(describe_all_owned!(read, describe_subnets, subnets))
}

/// Adds properties before `tags` (the catalog writes tags last; the order only matters to
/// people reading an observed state).
pub(super) fn reorder(found: Found, add: impl FnOnce(Found) -> Found) -> Found {
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
pub(super) fn with_props<T: Serialize>(found: Found, props: &T) -> Found {
    reorder(found, |f| f.props(props))
}

/// A route's outputs: its id `<table id>|<destination>` and what its delete needs.
pub(super) fn route_outputs(table: &str, destination: &str) -> Outputs {
    let mut out = outputs(&format!("{table}|{destination}"), None, None);
    out.insert("routeTableId".into(), Value::from(table));
    out.insert("destination".into(), Value::from(destination));
    out
}

/// Every rule of security group `group` (what a create looks in before adding or revoking one).
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
