//! An EKS add-on (CoreDNS configured for Fargate, the EFS CSI driver on node groups). The add-on
//! picks EKS's default version for the cluster; its service account's IAM role is
//! `serviceAccountRoleArn`. Creates and updates overwrite conflicting fields on the add-on's
//! Kubernetes objects, then wait for ACTIVE.

use aws_sdk_eks::types::ResolveConflicts;

use super::eks::{EksTags, addon_outputs, cluster_name, eks_tags};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::cluster::EksAddonProps;

pub struct EksAddon;

impl Adapter for EksAddon {
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
        match result {
            Ok(_) => {}
            // Only "already exists": the same code also says the cluster is not ready yet.
            Err(e)
                if e.code == "ResourceInUseException" && e.message.contains("already exists") => {}
            Err(e) => return Err(e),
        }
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
        if step.changed_any(ADDON_IN_PLACE) {
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
        if not_found_as_none(result)?.is_none() {
            return Ok(Outputs::new());
        }
        step.wait_until(
            || async {
                Ok(describe_addon(step, &cluster, &name)
                    .await?
                    .map(|a| AddonStatus(Box::new(a))))
            },
            |s: Option<&AddonStatus>| s.is_none(),
        )
        .await?;
        Ok(Outputs::new())
    }
}

/// What the update changes in place (UpdateAddon); tags aside. The cluster and the add-on's name
/// are in the kind's `replace_on`.
pub(crate) const ADDON_IN_PLACE: &[&str] = &["serviceAccountRoleArn", "configurationValues"];

/// The add-on's IAM role ARN, or none.
fn role(step: &AwsStep<'_>, props: &EksAddonProps) -> Result<Option<String>, StepError> {
    props
        .service_account_role_arn
        .as_deref()
        .map(|role| step.resolve(role))
        .transpose()
}

/// An add-on's state, for waits.
struct AddonStatus(Box<aws_sdk_eks::types::Addon>);

impl AddonStatus {
    fn state(&self) -> &str {
        self.0.status().map_or("", |s| s.as_str())
    }
}

impl std::fmt::Display for AddonStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.state().to_lowercase())
    }
}

async fn describe_addon(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::Addon>, StepError> {
    let result = step
        .clients()
        .eks
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?.and_then(|r| r.addon))
}

async fn wait_addon_active(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::Addon>, StepError> {
    let last = step
        .wait_until(
            || async {
                let addon = describe_addon(step, cluster, name).await?;
                if let Some(a) = &addon
                    && a.status().map(|s| s.as_str()) == Some("CREATE_FAILED")
                {
                    let issues: Vec<String> = a
                        .health()
                        .map(|h| h.issues())
                        .unwrap_or_default()
                        .iter()
                        .map(|i| {
                            format!(
                                "{}: {}",
                                i.code().map_or("", |c| c.as_str()),
                                i.message().unwrap_or_default()
                            )
                        })
                        .collect();
                    return Err(StepError::fatal(
                        "CreateFailed",
                        format!("add-on {name}: {}", issues.join("; ")),
                    ));
                }
                Ok(addon.map(|a| AddonStatus(Box::new(a))))
            },
            |s: Option<&AddonStatus>| s.is_some_and(|s| s.state() == "ACTIVE"),
        )
        .await?;
    Ok(last.map(|s| *s.0))
}
