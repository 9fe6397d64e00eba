//! eks: the cluster, Fargate profiles, managed node groups and add-ons. One adapter file per
//! kind (`eks_cluster.rs`, `fargate_profile.rs`, `node_group.rs`, `eks_addon.rs`), each with its
//! reader: the cluster's read also reads its Fargate profiles and node groups (they are listed
//! per cluster); the add-ons read on their own. Here the tagging calls and what the adapters and
//! readers share.
//!
//! Creates pass a client request token and take "already exists" as an earlier attempt's work,
//! then wait for ACTIVE. Updates go through EKS's update API one at a time (EKS refuses a second
//! update while one is in progress), each waited on with DescribeUpdate. Node groups get their
//! security groups and disk size from a launch template named after the node group (a managed
//! node group takes security groups no other way).

use std::collections::HashMap;
use std::future::Future;

use serde::Serialize;
use serde_json::Value;

use super::{AwsRead, AwsResult, AwsStep, Found, already_made_is_ok, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::errors::missing;
use crate::aws::tags::{self, TagSet};
use crate::plan::Address;

/// EKS's TagResource and UntagResource, by ARN (clusters, Fargate profiles, node groups and
/// add-ons alike).
pub(crate) struct EksTags;

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

/// `found` with the properties of a kind's properties struct ([`Found::props`]).
pub(super) fn with_props<T: Serialize>(found: Found, props: &T) -> Found {
    found.props(props)
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

/// A described EKS object (cluster, Fargate profile, node group, add-on, update): its state.
pub(super) trait Described {
    fn state(&self) -> &str;
}

/// Each described type's state is its `status`.
macro_rules! described_by_status {
    ($($object:ident),*) => {
        $(impl Described for aws_sdk_eks::types::$object {
            fn state(&self) -> &str {
                self.status().map_or("", |s| s.as_str())
            }
        })*
    };
}

described_by_status!(Cluster, FargateProfile, Nodegroup, Addon, Update);

/// What a wait shows of the object it waits on (the progress view): its state, in lower case.
struct Waiting<T>(T);

impl<T: Described> std::fmt::Display for Waiting<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.state().to_lowercase())
    }
}

/// Waits until `describe` finds the object ACTIVE; one in state `failed` ends the wait with
/// `failure`'s error. Returns the object as last described.
pub(super) async fn wait_active<T, F, Fut>(
    step: &AwsStep<'_>,
    mut describe: F,
    failed: &str,
    failure: impl Fn(&T) -> StepError,
) -> Result<Option<T>, StepError>
where
    T: Described,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, StepError>>,
{
    let failure = &failure;
    let last = step
        .wait_until(
            || {
                let described = describe();
                async move {
                    let object = described.await?;
                    if let Some(object) = &object
                        && object.state() == failed
                    {
                        return Err(failure(object));
                    }
                    Ok(object.map(Waiting))
                }
            },
            |s: Option<&Waiting<T>>| s.is_some_and(|s| s.0.state() == "ACTIVE"),
        )
        .await?;
    Ok(last.map(|w| w.0))
}

/// The rest of a delete whose call answered `deleted`: nothing when it found nothing to delete,
/// else a wait until `describe` finds nothing.
pub(super) async fn wait_deleted<D, T, F, Fut>(
    step: &AwsStep<'_>,
    deleted: Result<D, StepError>,
    mut describe: F,
) -> Result<(), StepError>
where
    T: Described,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, StepError>>,
{
    if not_found_as_none(deleted)?.is_none() {
        return Ok(());
    }
    step.wait_until(
        || {
            let described = describe();
            async move { Ok(described.await?.map(Waiting)) }
        },
        |s: Option<&Waiting<T>>| s.is_none(),
    )
    .await?;
    Ok(())
}

/// A create's answer when an earlier attempt may have made the object already: "already
/// exists" is that attempt's work (the create passes its client request token). Only "already
/// exists": EKS answers ResourceInUseException too while the cluster is not ready yet, and that
/// stays an error.
pub(super) fn created_or_exists<T>(created: Result<T, StepError>) -> Result<(), StepError> {
    already_made_is_ok(created, |e| {
        e.code == "ResourceInUseException" && e.message.contains("already exists")
    })
}

/// What EKS keeps per cluster under a name (Fargate profile, node group, add-on), described by
/// the two: the wait for ACTIVE after a create or update and the wait after a delete are the
/// same for the three, written once in [`wait_part_active`] and [`wait_part_deleted`].
pub(super) trait ClusterPart: Described + Sized {
    /// Its Describe call; `None` when EKS does not find it.
    fn describe(
        eks: &aws_sdk_eks::Client,
        cluster: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<Self>, StepError>> + Send;
}

/// Waits until the part is ACTIVE; CREATE_FAILED ends the wait with `failure`'s error. Returns
/// the part as last described.
pub(super) async fn wait_part_active<T: ClusterPart>(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
    failure: impl Fn(&T) -> StepError,
) -> Result<Option<T>, StepError> {
    let eks = &step.clients().eks;
    wait_active(
        step,
        || T::describe(eks, cluster, name),
        "CREATE_FAILED",
        failure,
    )
    .await
}

/// The rest of a part's delete ([`wait_deleted`]): nothing when the delete found nothing, else
/// a wait until its Describe call finds nothing.
pub(super) async fn wait_part_deleted<T: ClusterPart, D>(
    step: &AwsStep<'_>,
    deleted: Result<D, StepError>,
    cluster: &str,
    name: &str,
) -> Result<(), StepError> {
    let eks = &step.clients().eks;
    wait_deleted(step, deleted, || T::describe(eks, cluster, name)).await
}

/// EKS's health issues as `code: message` lines, `no_code` where an issue has no code: a node
/// group's and an add-on's issues are different SDK types with the same two fields, shown alike
/// by `status` and a failed create.
pub(crate) fn issue_lines<'i>(
    issues: impl IntoIterator<Item = (Option<&'i str>, Option<&'i str>)>,
    no_code: &str,
) -> Vec<String> {
    issues
        .into_iter()
        .map(|(code, message)| format!("{}: {}", code.unwrap_or(no_code), message.unwrap_or("")))
        .collect()
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
            let status = update.state();
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
            Ok(Some(Waiting(update)))
        },
        |s: Option<&Waiting<aws_sdk_eks::types::Update>>| {
            s.is_some_and(|s| s.0.state() == "Successful")
        },
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
            .clients()
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

/// One cluster's children of one kind, found: every page of their listing (`$list`, whose
/// answers name them in `$names`), then `$found` of each name (`Result<Option<Found>, _>`: EKS
/// has no batch describe), all at once; none when the cluster is not there (yet, or any more).
/// Evaluates to `Result<Vec<Found>, StepError>`.
macro_rules! read_children {
    ($read:expr, $cluster:expr, $list:ident, $names:ident, $found:expr) => {
        async {
            let eks = &$read.clients().eks;
            let mut pages = eks.$list().cluster_name($cluster).into_paginator().send();
            let mut names = Vec::new();
            while let Some(page) = pages.next().await {
                let page = $crate::aws::errors::AwsResult::aws(page);
                match $crate::aws::errors::not_found_as_none(page)? {
                    Some(page) => names.extend(page.$names.unwrap_or_default()),
                    None => return Ok(Vec::new()),
                }
            }
            let found = futures::future::try_join_all(names.iter().map($found)).await?;
            Ok::<_, $crate::apply::StepError>(found.into_iter().flatten().collect())
        }
        .await
    };
}
pub(super) use read_children;

/// A described object's address and tags, unless it is not the blueprint's or is being deleted.
pub(super) fn owned_live(
    read: &AwsRead<'_>,
    object: &impl Described,
    tags: Option<&HashMap<String, String>>,
) -> Option<(Address, TagSet)> {
    let tags = tags::from_pairs(tags.cloned().unwrap_or_default());
    let address = read.owned(&tags)?;
    (object.state() != "DELETING").then_some((address, tags))
}

/// The cluster's ARN from a Fargate profile's, node group's or add-on's ARN
/// (`arn:aws:eks:r:a:fargateprofile/<cluster>/<name>/<uuid>` -> `arn:aws:eks:r:a:cluster/<cluster>`).
pub(super) fn cluster_arn_of(child_arn: &str, cluster: &str) -> String {
    match child_arn.rsplit_once(':') {
        Some((head, _)) => format!("{head}:cluster/{cluster}"),
        None => cluster.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_are_code_and_message_lines() {
        let issues = [
            (Some("AccessDenied"), Some("no role")),
            (None, Some("no code")),
            (Some("Other"), None),
        ];
        assert_eq!(
            issue_lines(issues, "issue"),
            ["AccessDenied: no role", "issue: no code", "Other: "]
        );
        assert_eq!(issue_lines([(None, Some("m"))], ""), [": m"]);
    }

    #[test]
    fn cluster_arn_from_a_child_arn() {
        assert_eq!(
            cluster_arn_of("arn:aws-cn:eks:cn-north-1:1:nodegroup/demo/ng/uuid", "demo"),
            "arn:aws-cn:eks:cn-north-1:1:cluster/demo"
        );
    }
}
