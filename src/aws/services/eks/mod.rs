//! eks: the cluster, Fargate profiles, managed node groups and add-ons. One adapter file per
//! kind (`eks_cluster.rs`, `fargate_profile.rs`, `node_group.rs`, `eks_addon.rs`); here the
//! readers, the tagging calls and what the adapters share.
//!
//! Creates pass a client request token and take "already exists" as an earlier attempt's work,
//! then wait for ACTIVE. Updates go through EKS's update API one at a time (EKS refuses a second
//! update while one is in progress), each waited on with DescribeUpdate. Node groups get their
//! security groups and disk size from a launch template named after the node group (a managed
//! node group takes security groups no other way).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::{AwsRead, AwsResult, AwsStep, Found, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::errors::missing;
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::cluster::{
    EksAddonProps, EksClusterProps, FargateProfileProps, ProfileSelector,
};

/// EKS's TagResource and UntagResource, by ARN (clusters, Fargate profiles, node groups and
/// add-ons alike).
pub struct EksTags;

super::tag_api!(
    EksTags,
    eks,
    tag_resource / untag_resource,
    resource_arn,
    eks_tags
);

/// Tags as EKS takes them: a map.
pub(super) fn eks_tags(tags: &TagSet) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// `found` with the properties of a kind's properties struct, key by key in the struct's order
/// (as the catalog's `Resource::props` sets them).
fn with_props<T: Serialize>(found: Found, props: &T) -> Found {
    match serde_json::to_value(props) {
        Ok(Value::Object(fields)) => fields
            .into_iter()
            .fold(found, |found, (key, value)| found.with(&key, value)),
        // Properties structs serialise to objects; anything else is a bug caught by tests.
        other => {
            debug_assert!(false, "properties must be a struct: {other:?}");
            found
        }
    }
}

/// References (addresses) resolved to the dependencies' ids (see [`AwsStep::resolve`]).
pub(super) fn resolve_all(
    step: &AwsStep<'_>,
    references: &[String],
) -> Result<Vec<String>, StepError> {
    references.iter().map(|r| step.resolve(r)).collect()
}

/// A dependency's attribute: the role `cluster.iam_role.cluster` -> that role's `arn`.
pub(super) fn reference_attribute(
    step: &AwsStep<'_>,
    reference: &str,
    attribute: &str,
) -> Result<String, StepError> {
    let address = reference.split('#').next().unwrap_or(reference);
    step.resolve(&format!("{address}#{attribute}"))
}

/// The cluster's name for a Fargate profile, node group or add-on: from the outputs a create or
/// the reader recorded, else from the outputs of `cluster` (the cluster's address).
pub(super) fn cluster_name(step: &AwsStep<'_>, cluster: Option<&str>) -> Result<String, StepError> {
    if let Some(name) = step.existing("clusterName") {
        return Ok(name.to_string());
    }
    let cluster = cluster
        .ok_or_else(|| missing(format!("{}: property `cluster` is missing", step.address())))?;
    reference_attribute(step, cluster, "name")
}

/// A described EKS object whose `Display` is its status (what the progress view shows).
pub(super) enum Status {
    Cluster(Box<aws_sdk_eks::types::Cluster>),
    Profile(Box<aws_sdk_eks::types::FargateProfile>),
    Nodegroup(Box<aws_sdk_eks::types::Nodegroup>),
    Update(String),
}

impl Status {
    pub(super) fn state(&self) -> String {
        match self {
            Status::Cluster(c) => c.status().map(|s| s.as_str().to_string()),
            Status::Profile(p) => p.status().map(|s| s.as_str().to_string()),
            Status::Nodegroup(n) => n.status().map(|s| s.as_str().to_string()),
            Status::Update(s) => Some(s.clone()),
        }
        .unwrap_or_default()
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.state().to_lowercase())
    }
}

/// Waits for an EKS update (cluster or node group) to finish.
pub(super) async fn wait_update(
    step: &AwsStep<'_>,
    cluster: &str,
    nodegroup: Option<&str>,
    update: Option<&aws_sdk_eks::types::Update>,
) -> Result<(), StepError> {
    // Nothing to wait for when no update was started or it finished at once.
    let Some(update) = update else {
        return Ok(());
    };
    if update.status().map(|s| s.as_str()) == Some("Successful") {
        return Ok(());
    }
    let Some(update_id) = update.id() else {
        return Ok(());
    };
    step.wait_until(
        || async {
            let update = step
                .clients()
                .eks
                .describe_update()
                .name(cluster)
                .update_id(update_id)
                .set_nodegroup_name(nodegroup.map(str::to_string))
                .send()
                .await
                .aws()?
                .update;
            let Some(update) = update else {
                return Ok(None);
            };
            let status = update
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            if status == "Failed" || status == "Cancelled" {
                let errors: Vec<String> = update
                    .errors()
                    .iter()
                    .map(|e| e.error_message().unwrap_or_default().to_string())
                    .collect();
                return Err(StepError::fatal(
                    "UpdateFailed",
                    format!("EKS update {update_id} {status}: {}", errors.join("; ")),
                ));
            }
            Ok(Some(Status::Update(status)))
        },
        |s: Option<&Status>| s.is_some_and(|s| s.state() == "Successful"),
    )
    .await?;
    Ok(())
}

/// What a described cluster gives its dependents.
pub(super) fn cluster_outputs(cluster: &aws_sdk_eks::types::Cluster) -> Outputs {
    let name = cluster.name().unwrap_or_default();
    let arn = cluster.arn().unwrap_or(name);
    let mut out = outputs(arn, Some(arn), Some(name));
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(value) = value {
            out.insert(key.into(), Value::from(value));
        }
    };
    put("endpoint", cluster.endpoint());
    put("version", cluster.version());
    put(
        "oidcIssuer",
        cluster
            .identity()
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer()),
    );
    put(
        "certificateAuthority",
        cluster.certificate_authority().and_then(|c| c.data()),
    );
    put(
        "clusterSecurityGroup",
        cluster
            .resources_vpc_config()
            .and_then(|v| v.cluster_security_group_id()),
    );
    out
}

/// What a node group gives its dependents (and its delete: the launch template's name).
pub(super) fn nodegroup_outputs(n: &aws_sdk_eks::types::Nodegroup, cluster: &str) -> Outputs {
    let arn = n.nodegroup_arn().unwrap_or_default();
    let mut out = outputs(arn, Some(arn), n.nodegroup_name());
    out.insert("clusterName".into(), Value::from(cluster));
    if let Some(lt) = n.launch_template().and_then(|t| t.name()) {
        out.insert("launchTemplate".into(), Value::from(lt));
    }
    out
}

pub(super) fn addon_outputs(arn: &str, name: &str, cluster: &str) -> Outputs {
    let mut out = outputs(arn, Some(arn), Some(name));
    out.insert("clusterName".into(), Value::from(cluster));
    out
}

// --- reading -------------------------------------------------------------------------------

/// Subnet ids in the catalog's order: by availability zone. The zones come from the read's
/// owned subnets ([`AwsRead::owned_subnets`], no call of its own); only subnets shinyctl does not
/// own cost one DescribeSubnets for them all.
pub(crate) async fn by_zone(
    read: &AwsRead<'_>,
    mut ids: Vec<String>,
) -> Result<Vec<String>, StepError> {
    if ids.len() < 2 {
        return Ok(ids);
    }
    let zone_of = |s: &aws_sdk_ec2::types::Subnet| {
        Some((
            s.subnet_id()?.to_string(),
            s.availability_zone()?.to_string(),
        ))
    };
    let mut zones: HashMap<String, String> = read
        .owned_subnets()
        .await?
        .iter()
        .filter_map(zone_of)
        .collect();
    let unknown: Vec<String> = ids
        .iter()
        .filter(|id| !zones.contains_key(*id))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let described = read
            .conn
            .clients
            .ec2
            .describe_subnets()
            .set_subnet_ids(Some(unknown))
            .send()
            .await
            .aws()?;
        zones.extend(described.subnets().iter().filter_map(zone_of));
    }
    ids.sort_by(|a, b| (zones.get(a), a).cmp(&(zones.get(b), b)));
    Ok(ids)
}

/// Clusters whose names carry the blueprint's prefix, with their Fargate profiles and node
/// groups. The blueprint's own cluster name is known, so its reads (DescribeCluster, EKS has no
/// batch describe; ListFargateProfiles; ListNodegroups) start at once, beside ListClusters, which
/// finds the others with the prefix (a cluster the blueprint no longer has); a profile's or node
/// group's describe waits only for its own listing.
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let prefix = read.name_prefix();
    let desired: Vec<String> = read
        .desired_of(K::EksCluster)
        .map(|c| c.name.clone())
        .collect();
    let listed_then_others = async {
        let pages = all_pages!(
            read.conn
                .clients
                .eks
                .list_clusters()
                .into_paginator()
                .send()
        );
        let others: Vec<String> = pages
            .into_iter()
            .flat_map(|p| p.clusters.unwrap_or_default())
            .filter(|n| n == read.blueprint || n.starts_with(&prefix))
            .filter(|n| !desired.contains(n))
            .collect();
        futures::future::try_join_all(others.iter().map(|name| read_cluster(read, name))).await
    };
    let (ours, others) = futures::try_join!(
        futures::future::try_join_all(desired.iter().map(|name| read_cluster(read, name))),
        listed_then_others,
    )?;
    Ok(ours.into_iter().chain(others).flatten().collect())
}

/// One cluster, if it exists and is ours, with its Fargate profiles and node groups: the
/// describe and both listings at once (the children are dropped if the cluster is not ours).
async fn read_cluster(read: &AwsRead<'_>, name: &str) -> Result<Vec<Found>, StepError> {
    let describe = async {
        let cluster = not_found_as_none(
            read.conn
                .clients
                .eks
                .describe_cluster()
                .name(name)
                .send()
                .await
                .aws(),
        )?
        .and_then(|r| r.cluster);
        let Some(cluster) = cluster else {
            return Ok(None);
        };
        let tags = tags::from_pairs(cluster.tags().cloned().unwrap_or_default());
        let Some(address) = read.owned(&tags) else {
            return Ok(None);
        };
        if cluster.status().map(|s| s.as_str()) == Some("DELETING") {
            return Ok(None);
        }
        let subnets = by_zone(
            read,
            cluster
                .resources_vpc_config()
                .map(|v| v.subnet_ids().to_vec())
                .unwrap_or_default(),
        )
        .await?;
        Ok::<_, StepError>(Some(cluster_found(&cluster, address, &tags, subnets)))
    };
    let (cluster, profiles, nodegroups) = futures::try_join!(
        describe,
        read_profiles(read, name),
        read_nodegroups(read, name),
    )?;
    let Some(cluster) = cluster else {
        return Ok(Vec::new());
    };
    Ok(std::iter::once(cluster)
        .chain(profiles)
        .chain(nodegroups)
        .collect())
}

fn cluster_found(
    c: &aws_sdk_eks::types::Cluster,
    address: crate::plan::Address,
    tags: &TagSet,
    subnets: Vec<String>,
) -> Found {
    let name = c.name().unwrap_or_default();
    let vpc = c.resources_vpc_config();
    let mut groups: Vec<String> = vpc
        .map(|v| v.security_group_ids().to_vec())
        .unwrap_or_default();
    groups.sort();
    let public = vpc.is_some_and(|v| v.endpoint_public_access());
    let cidrs: Vec<String> = if public {
        vpc.map(|v| v.public_access_cidrs().to_vec())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut enabled: Vec<String> = c
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
        .collect();
    enabled.sort();
    enabled.dedup();
    let props = EksClusterProps {
        name: name.to_string(),
        version: c.version().unwrap_or_default().to_string(),
        role: c.role_arn().unwrap_or_default().to_string(),
        subnets,
        security_groups: groups,
        endpoint_public_access: public,
        endpoint_private_access: vpc.is_some_and(|v| v.endpoint_private_access()),
        public_access_cidrs: cidrs,
        logging: enabled,
    };
    let mut found = with_props(
        Found::new(K::EksCluster, c.arn().unwrap_or(name))
            .at(Some(address))
            .named(name),
        &props,
    )
    .with("tags", tags::to_value(tags));
    found.outputs = cluster_outputs(c);
    found
}

async fn read_profiles(read: &AwsRead<'_>, cluster: &str) -> Result<Vec<Found>, StepError> {
    let mut pages = read
        .conn
        .clients
        .eks
        .list_fargate_profiles()
        .cluster_name(cluster)
        .into_paginator()
        .send();
    let mut names = Vec::new();
    loop {
        let Some(page) = pages.next().await else {
            break;
        };
        match not_found_as_none(page.aws())? {
            Some(page) => names.extend(page.fargate_profile_names.unwrap_or_default()),
            None => return Ok(Vec::new()), // no cluster (yet, or any more)
        }
    }
    let found =
        futures::future::try_join_all(names.iter().map(|name| profile_found(read, cluster, name)))
            .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn profile_found(
    read: &AwsRead<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Found>, StepError> {
    let eks = &read.conn.clients.eks;
    let Some(p) = not_found_as_none(
        eks.describe_fargate_profile()
            .cluster_name(cluster)
            .fargate_profile_name(name)
            .send()
            .await
            .aws(),
    )?
    .and_then(|r| r.fargate_profile) else {
        return Ok(None);
    };
    let tags = tags::from_pairs(p.tags().cloned().unwrap_or_default());
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    if p.status().map(|s| s.as_str()) == Some("DELETING") {
        return Ok(None);
    }
    let subnets = by_zone(read, p.subnets().to_vec()).await?;
    let selectors = p
        .selectors()
        .iter()
        .map(|s| ProfileSelector {
            namespace: s.namespace().unwrap_or_default().to_string(),
            labels: s
                .labels()
                .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        })
        .collect();
    let arn = p.fargate_profile_arn().unwrap_or_default();
    let props = FargateProfileProps {
        name: name.to_string(),
        // The cluster as its ARN, which the reader turns into the cluster's address.
        cluster: cluster_arn_of(arn, cluster),
        pod_execution_role: p.pod_execution_role_arn().unwrap_or_default().to_string(),
        subnets,
        selectors,
    };
    Ok(Some(
        with_props(
            Found::new(K::FargateProfile, arn)
                .at(Some(address))
                .named(name),
            &props,
        )
        .with("tags", tags::to_value(&tags))
        .output("arn", arn)
        .output("name", name)
        .output("clusterName", cluster),
    ))
}

/// The cluster's ARN from a Fargate profile's or node group's ARN
/// (`arn:aws:eks:r:a:fargateprofile/<cluster>/<name>/<uuid>` -> `arn:aws:eks:r:a:cluster/<cluster>`).
fn cluster_arn_of(child_arn: &str, cluster: &str) -> String {
    match child_arn.rsplit_once(':') {
        Some((head, _)) => format!("{head}:cluster/{cluster}"),
        None => cluster.to_string(),
    }
}

async fn read_nodegroups(read: &AwsRead<'_>, cluster: &str) -> Result<Vec<Found>, StepError> {
    let mut pages = read
        .conn
        .clients
        .eks
        .list_nodegroups()
        .cluster_name(cluster)
        .into_paginator()
        .send();
    let mut names = Vec::new();
    loop {
        let Some(page) = pages.next().await else {
            break;
        };
        match not_found_as_none(page.aws())? {
            Some(page) => names.extend(page.nodegroups.unwrap_or_default()),
            None => return Ok(Vec::new()), // no cluster (yet, or any more)
        }
    }
    let found = futures::future::try_join_all(
        names
            .iter()
            .map(|name| nodegroup_found(read, cluster, name)),
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn nodegroup_found(
    read: &AwsRead<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Found>, StepError> {
    let eks = &read.conn.clients.eks;
    let Some(n) = not_found_as_none(
        eks.describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .send()
            .await
            .aws(),
    )?
    .and_then(|r| r.nodegroup) else {
        return Ok(None);
    };
    let tags = tags::from_pairs(n.tags().cloned().unwrap_or_default());
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    if n.status().map(|s| s.as_str()) == Some("DELETING") {
        return Ok(None);
    }
    // The launch template and (rarely) the zones of subnets that are not ours, at once.
    let ((groups, disk), subnets) = futures::try_join!(
        launch_template_settings(read, &n),
        by_zone(read, n.subnets().to_vec()),
    )?;
    let scaling = n.scaling_config();
    let labels: std::collections::BTreeMap<_, _> =
        n.labels().map(|l| l.iter().collect()).unwrap_or_default();
    let arn = n.nodegroup_arn().unwrap_or_default();
    let mut f = Found::new(K::NodeGroup, arn)
        .at(Some(address))
        .named(name)
        .with("name", name)
        .with("cluster", cluster_arn_of(arn, cluster))
        .with("nodeRole", n.node_role().unwrap_or_default())
        .with("subnets", json!(subnets))
        .with("securityGroups", json!(groups))
        .with("instanceTypes", json!(n.instance_types()))
        .with("diskSizeGib", disk.or(n.disk_size()).unwrap_or(20))
        .with(
            "capacityType",
            n.capacity_type().map(|c| c.as_str()).unwrap_or("ON_DEMAND"),
        )
        .with(
            "scaling",
            json!({
                "desiredSize": scaling.and_then(|s| s.desired_size()),
                "minSize": scaling.and_then(|s| s.min_size()),
                "maxSize": scaling.and_then(|s| s.max_size()),
            }),
        )
        .with("labels", json!(labels))
        .with("tags", tags::to_value(&tags));
    f.outputs = nodegroup_outputs(&n, cluster);
    Ok(Some(f))
}

/// Security groups and root volume size from the node group's launch template.
async fn launch_template_settings(
    read: &AwsRead<'_>,
    n: &aws_sdk_eks::types::Nodegroup,
) -> Result<(Vec<String>, Option<i32>), StepError> {
    let Some(template) = n.launch_template() else {
        return Ok((Vec::new(), None));
    };
    let mut request = read.conn.clients.ec2.describe_launch_template_versions();
    request = match (template.id(), template.name()) {
        (Some(id), _) => request.launch_template_id(id),
        (None, Some(name)) => request.launch_template_name(name),
        (None, None) => return Ok((Vec::new(), None)),
    };
    let versions = not_found_as_none(
        request
            .versions(template.version().unwrap_or("$Latest"))
            .send()
            .await
            .aws(),
    )?;
    let data = versions
        .and_then(|v| {
            v.launch_template_versions
                .unwrap_or_default()
                .into_iter()
                .next()
        })
        .and_then(|v| v.launch_template_data);
    let Some(data) = data else {
        return Ok((Vec::new(), None));
    };
    let mut groups = data.security_group_ids().to_vec();
    groups.sort();
    let disk = data
        .block_device_mappings()
        .iter()
        .find_map(|m| m.ebs().and_then(|e| e.volume_size()));
    Ok((groups, disk))
}

/// Add-ons of the blueprint's cluster (named after the blueprint): ListAddons, then one
/// DescribeAddon each (EKS has no batch describe). Only add-ons tagged for the blueprint count;
/// nothing is read when the blueprint has no cluster (its add-ons go with the cluster).
pub async fn read_addons(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let Some(cluster) = read
        .desired_of(K::EksCluster)
        .next()
        .map(|c| c.name.clone())
        .or_else(|| {
            read.desired_of(K::EksAddon)
                .next()
                .map(|_| read.blueprint.to_string())
        })
    else {
        return Ok(Vec::new());
    };
    let eks = &read.conn.clients.eks;
    let mut names = Vec::new();
    let mut pages = eks
        .list_addons()
        .cluster_name(&cluster)
        .into_paginator()
        .send();
    loop {
        let Some(page) = pages.next().await else {
            break;
        };
        match not_found_as_none(page.aws())? {
            Some(page) => names.extend(page.addons.unwrap_or_default()),
            None => return Ok(Vec::new()), // no cluster (yet, or any more)
        }
    }
    // One DescribeAddon per add-on (EKS has no batch describe), all at once.
    let found =
        futures::future::try_join_all(names.iter().map(|name| addon_found(read, &cluster, name)))
            .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn addon_found(
    read: &AwsRead<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Found>, StepError> {
    let eks = &read.conn.clients.eks;
    let Some(addon) = not_found_as_none(
        eks.describe_addon()
            .cluster_name(cluster)
            .addon_name(name)
            .send()
            .await
            .aws(),
    )?
    .and_then(|r| r.addon) else {
        return Ok(None);
    };
    let tags = tags::from_pairs(addon.tags().cloned().unwrap_or_default());
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    if addon.status().map(|s| s.as_str()) == Some("DELETING") {
        return Ok(None);
    }
    let arn = addon.addon_arn().unwrap_or_default();
    let props = EksAddonProps {
        // The cluster as its ARN, which the reader turns into the cluster's address.
        cluster: cluster_arn_of(arn, cluster),
        addon_name: name.to_string(),
        service_account_role_arn: addon.service_account_role_arn().map(str::to_string),
        configuration_values: addon
            .configuration_values()
            .filter(|v| !v.is_empty())
            .map(str::to_string),
    };
    let mut f = with_props(
        Found::new(K::EksAddon, arn).at(Some(address)).named(name),
        &props,
    )
    .with("tags", tags::to_value(&tags));
    f.outputs = addon_outputs(arn, name, cluster);
    Ok(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_arn_from_a_child_arn() {
        assert_eq!(
            cluster_arn_of("arn:aws-cn:eks:cn-north-1:1:nodegroup/demo/ng/uuid", "demo"),
            "arn:aws-cn:eks:cn-north-1:1:cluster/demo"
        );
    }
}
