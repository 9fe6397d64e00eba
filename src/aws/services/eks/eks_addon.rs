//! An EKS add-on (CoreDNS configured for Fargate, the EFS CSI driver on node groups). The add-on
//! picks EKS's default version for the cluster; its service account's IAM role is
//! `serviceAccountRoleArn`. Creates and updates overwrite conflicting fields on the add-on's
//! Kubernetes objects, then wait for ACTIVE. The read lists the add-ons of the blueprint's
//! cluster by its name ([`read_addons`]), beside the cluster's read.

use aws_sdk_eks::types::{Addon, ResolveConflicts};

use super::eks::{
    ClusterPart, EksTags, addon_outputs, cluster_arn_of, cluster_name, created_or_exists, eks_tags,
    issue_lines, owned_live, read_children, wait_part_active, wait_part_deleted, with_props,
};
use super::stages::{Read, after, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none, sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::cluster::EksAddonProps;

pub(crate) struct EksAddon;

impl Adapter for EksAddon {
    const READS: &'static [Read] = &[
        first(("eks", "ListAddons")),
        after(("eks", "DescribeAddon"), &[("eks", "ListAddons")]),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        read_addons(read).await
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EksAddonProps = step.props()?;
        let cluster = cluster_name(step, Some(&props.cluster))?;
        let name = props.addon_name.as_str();
        // No look first: an existing add-on is answered ResourceInUseException (as for the
        // cluster).
        let result = step
            .clients()
            .eks
            .create_addon()
            .cluster_name(&cluster)
            .addon_name(name)
            .set_service_account_role_arn(role(step, &props)?)
            .set_configuration_values(props.configuration_values.clone())
            .resolve_conflicts(ResolveConflicts::Overwrite)
            .client_request_token(step.client_token("CreateAddon"))
            .set_tags(Some(eks_tags(&step.tags())))
            .send()
            .await
            .aws();
        created_or_exists(result)?;
        let addon = wait_addon_active(step, &cluster, name).await?;
        let arn = addon
            .as_ref()
            .and_then(|a| a.addon_arn())
            .unwrap_or_default()
            .to_string();
        Ok(addon_outputs(&arn, name, &cluster))
    }

    /// The role and the configuration change in place (UpdateAddon, then ACTIVE again); tags by
    /// ARN.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: EksAddonProps = step.props()?;
        let arn = step.existing_id()?;
        let cluster = cluster_name(step, Some(&props.cluster))?;
        let name = props.addon_name.as_str();
        if step.changed_any(K::EksAddon.in_place()) {
            // The plan replaces an add-on whose role goes away (see `replace_when_removed`): no
            // UpdateAddon takes a role away, and leaving it out keeps the role it has.
            let role = role(step, &props)?;
            if role.is_none() && step.changed("serviceAccountRoleArn") {
                return Err(StepError::fatal(
                    "RoleRemoval",
                    format!(
                        "add-on {name}: UpdateAddon cannot unbind a role; the add-on must be \
                         replaced"
                    ),
                ));
            }
            step.clients()
                .eks
                .update_addon()
                .cluster_name(&cluster)
                .addon_name(name)
                .set_service_account_role_arn(role)
                // An empty string clears the configuration (UpdateAddon's documentation).
                .configuration_values(props.configuration_values.clone().unwrap_or_default())
                .resolve_conflicts(ResolveConflicts::Overwrite)
                .client_request_token(step.client_token("UpdateAddon"))
                .send()
                .await
                .aws()?;
            wait_addon_active(step, &cluster, name).await?;
        }
        sync_tags::<EksTags>(step, arn).await?;
        Ok(addon_outputs(arn, name, &cluster))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let cluster = cluster_name(step, step.opt_str("cluster"))?;
        let name = step
            .existing("name")
            .or(step.opt_str("addonName"))
            .unwrap_or(step.name())
            .to_string();
        let result = step
            .clients()
            .eks
            .delete_addon()
            .cluster_name(&cluster)
            .addon_name(&name)
            .send()
            .await
            .aws();
        wait_part_deleted::<Addon, _>(step, result, &cluster, &name).await?;
        Ok(Outputs::new())
    }
}

/// The add-on's IAM role ARN, or none.
fn role(step: &AwsStep<'_>, props: &EksAddonProps) -> Result<Option<String>, StepError> {
    props
        .service_account_role_arn
        .as_deref()
        .map(|role| step.resolve(role))
        .transpose()
}

impl ClusterPart for Addon {
    async fn describe(
        eks: &aws_sdk_eks::Client,
        cluster: &str,
        name: &str,
    ) -> Result<Option<Addon>, StepError> {
        let result = eks
            .describe_addon()
            .cluster_name(cluster)
            .addon_name(name)
            .send()
            .await
            .aws();
        Ok(not_found_as_none(result)?.and_then(|r| r.addon))
    }
}

async fn wait_addon_active(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Addon>, StepError> {
    wait_part_active(step, cluster, name, |a: &Addon| {
        let issues = issue_lines(
            a.health()
                .map(|h| h.issues())
                .unwrap_or_default()
                .iter()
                .map(|i| (i.code().map(|c| c.as_str()), i.message())),
            "",
        );
        StepError::fatal(
            "CreateFailed",
            format!("add-on {name}: {}", issues.join("; ")),
        )
    })
    .await
}

/// Add-ons of the blueprint's cluster (named after the blueprint): ListAddons, then one
/// DescribeAddon each (EKS has no batch describe). Only add-ons tagged for the blueprint count;
/// nothing is read when the blueprint has no cluster (its add-ons go with the cluster).
async fn read_addons(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
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
    // One DescribeAddon per add-on (EKS has no batch describe), all at once.
    read_children!(read, &cluster, list_addons, addons, |name| addon_found(
        read, &cluster, name
    ))
}

async fn addon_found(
    read: &AwsRead<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Found>, StepError> {
    let Some(addon) = Addon::describe(&read.clients().eks, cluster, name).await? else {
        return Ok(None);
    };
    let Some((address, tags)) = owned_live(read, &addon, addon.tags()) else {
        return Ok(None);
    };
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
