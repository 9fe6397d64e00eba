//! An IAM role: trust policy, description, inline policies and tags. Role names are unique per
//! account: a create that finds its name taken by a role of ours (an interrupted run) makes that
//! role match; one owned by another blueprint is an error.
//!
//! The read finds the roles and their managed-policy attachments in one answer
//! ([`read_roles`]): attachments are read with their role.

use serde_json::{Map, Value};

use super::iam::{
    IamRoleTags, attachment_outputs, iam_tags, observed_inline_policies, policy_document,
    read_inline_policies, read_tags, retag, role_name_of,
};
use super::stages::{Read, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, not_found_as_none, outputs,
    sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::catalog::iam::IamRoleProps;
use crate::plan::{Address, ResourceKind as K};

pub(crate) struct IamRole;

impl Adapter for IamRole {
    /// Every role with its tags, trust and inline policies and attachments, and every role's
    /// description, at once.
    const READS: &'static [Read] = &[
        first(("iam", "GetAccountAuthorizationDetails")),
        first(("iam", "ListRoles")),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        read_roles(read).await
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: IamRoleProps = step.props()?;
        let name = &props.role_name;
        let iam = &step.clients().iam;
        let existing = not_found_as_none(iam.get_role().role_name(name).send().await.aws())?;
        let arn = match existing.as_ref().and_then(|o| o.role()) {
            Some(role) => {
                let current = read_tags(role.tags());
                if let Some(owner) = current.get(tags::BLUEPRINT_TAG)
                    && owner != step.blueprint
                {
                    return Err(StepError::fatal(
                        "EntityAlreadyExists",
                        format!("role {name} exists and belongs to blueprint {owner}"),
                    ));
                }
                // Ours from an interrupted run (or unowned with our derived name): make it match.
                update_role_with(step, &props, name, true).await?;
                role.arn().to_string()
            }
            None => {
                let out = iam
                    .create_role()
                    .role_name(name)
                    .path(&props.path)
                    .description(&props.description)
                    .assume_role_policy_document(trust_policy_text(step, &props)?)
                    .set_tags(Some(iam_tags(&step.tags())))
                    .send()
                    .await
                    .aws()?;
                put_inline_policies(step, &props, name, &Map::new()).await?;
                out.role().map(|r| r.arn().to_string()).unwrap_or_default()
            }
        };
        Ok(outputs(&arn, Some(&arn), Some(name)))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: IamRoleProps = step.props()?;
        let arn = step.existing_id()?;
        let name = role_name_of(arn);
        update_role_with(step, &props, name, false).await?;
        Ok(outputs(arn, Some(arn), Some(name)))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = role_name_of(step.existing_id()?);
        let iam = &step.clients().iam;
        // IAM refuses to delete a role with policies or instance profiles: clear what is left
        // (attachments are their own resources and normally gone already).
        let Some(inline) =
            not_found_as_none(iam.list_role_policies().role_name(name).send().await.aws())?
        else {
            return Ok(Outputs::new());
        };
        for policy in inline.policy_names() {
            not_found_as_none(
                iam.delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .aws(),
            )?;
        }
        let attached = iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
            .aws()?;
        for policy in attached.attached_policies() {
            if let Some(arn) = policy.policy_arn() {
                not_found_as_none(
                    iam.detach_role_policy()
                        .role_name(name)
                        .policy_arn(arn)
                        .send()
                        .await
                        .aws(),
                )?;
            }
        }
        let profiles = iam
            .list_instance_profiles_for_role()
            .role_name(name)
            .send()
            .await
            .aws()?;
        for profile in profiles.instance_profiles() {
            not_found_as_none(
                iam.remove_role_from_instance_profile()
                    .role_name(name)
                    .instance_profile_name(profile.instance_profile_name())
                    .send()
                    .await
                    .aws(),
            )?;
        }
        deleted(iam.delete_role().role_name(name).send().await.aws())
    }
}

/// The trust policy as IAM takes it: references embedded in it (an IRSA role's OIDC provider
/// ARN and issuer-host condition keys) resolved.
fn trust_policy_text(step: &AwsStep<'_>, props: &IamRoleProps) -> Result<String, StepError> {
    Ok(match step.resolve_embedded(&props.assume_role_policy)? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Puts the desired inline policies (their embedded references resolved) that differ from
/// `current` and deletes the ones no longer desired.
async fn put_inline_policies(
    step: &AwsStep<'_>,
    props: &IamRoleProps,
    role: &str,
    current: &Map<String, Value>,
) -> Result<(), StepError> {
    let desired = props.inline_policies.clone().unwrap_or_default();
    let iam = &step.clients().iam;
    for (policy, document) in &desired {
        // References embedded in a policy (a secret's ARN) are resolved as the trust policy's.
        let document = step.resolve_embedded(document)?;
        if current.get(policy) == Some(&document) {
            continue;
        }
        iam.put_role_policy()
            .role_name(role)
            .policy_name(policy)
            .policy_document(document.to_string())
            .send()
            .await
            .aws()?;
    }
    for policy in current.keys().filter(|p| !desired.contains_key(*p)) {
        not_found_as_none(
            iam.delete_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send()
                .await
                .aws(),
        )?;
    }
    Ok(())
}

/// Makes description, trust policy, inline policies and tags match; `all` ignores the step's
/// change list and compares with the role as IAM has it (adopting a role found at create).
async fn update_role_with(
    step: &AwsStep<'_>,
    props: &IamRoleProps,
    name: &str,
    all: bool,
) -> Result<(), StepError> {
    let iam = &step.clients().iam;
    if all || step.changed("description") {
        iam.update_role()
            .role_name(name)
            .description(&props.description)
            .send()
            .await
            .aws()?;
    }
    if all || step.changed("assumeRolePolicy") {
        iam.update_assume_role_policy()
            .role_name(name)
            .policy_document(trust_policy_text(step, props)?)
            .send()
            .await
            .aws()?;
    }
    if all || step.changed("inlinePolicies") {
        let current = if all {
            read_inline_policies(&step.conn.clients.iam, name).await?
        } else {
            observed_inline_policies(step)
        };
        put_inline_policies(step, props, name, &current).await?;
    }
    if all {
        let out = iam.list_role_tags().role_name(name).send().await.aws()?;
        retag::<IamRoleTags>(step, name, &read_tags(out.tags())).await?;
    } else {
        sync_tags::<IamRoleTags>(step, name).await?;
    }
    Ok(())
}

/// The most entries IAM returns per page (ListRoles, GetAccountAuthorizationDetails).
const IAM_PAGE: i32 = 1000;

/// Two paginated calls for every role, however many: GetAccountAuthorizationDetails
/// (`Filter=Role`) carries each role's tags, trust policy, inline policies with their documents
/// and attached managed policies; ListRoles carries the description, which that call leaves out.
/// (Per role, GetRole + ListRolePolicies + GetRolePolicy + ListAttachedRolePolicies would be four
/// or more calls each.)
async fn read_roles(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let iam = &read.clients().iam;
    let (details, listed) = futures::try_join!(
        async {
            Ok::<_, StepError>(all_items!(
                iam.get_account_authorization_details()
                    .filter(aws_sdk_iam::types::EntityType::Role)
                    .max_items(IAM_PAGE),
                role_detail_list
            ))
        },
        async {
            Ok::<_, StepError>(all_pages!(
                iam.list_roles().max_items(IAM_PAGE).into_paginator().send()
            ))
        },
    )?;
    let descriptions: std::collections::HashMap<String, String> = listed
        .into_iter()
        .flat_map(|page| page.roles)
        .filter_map(|role| Some((role.role_name, role.description?)))
        .collect();
    let mut found = Vec::new();
    for role in details {
        let (Some(name), Some(arn)) = (role.role_name(), role.arn()) else {
            continue;
        };
        let tags = read_tags(role.tags());
        let Some(address) = read.owned(&tags) else {
            continue;
        };
        let description = descriptions.get(name).map_or("", String::as_str);
        found.extend(role_found(&role, name, arn, address, description, &tags));
    }
    Ok(found)
}

/// A role and its policy attachments as the reader reports them.
fn role_found(
    role: &aws_sdk_iam::types::RoleDetail,
    name: &str,
    arn: &str,
    address: Address,
    description: &str,
    tags: &TagSet,
) -> Vec<Found> {
    let mut f = Found::new(K::IamRole, arn)
        .at(Some(address.clone()))
        .named(name)
        .with("roleName", name)
        .with("path", role.path().unwrap_or("/"))
        .with("description", description)
        .with(
            "assumeRolePolicy",
            policy_document(role.assume_role_policy_document().unwrap_or("{}")),
        )
        .output("arn", arn)
        .output("name", name);
    let inline: Map<String, Value> = role
        .role_policy_list()
        .iter()
        .filter_map(|p| {
            Some((
                p.policy_name()?.to_string(),
                policy_document(p.policy_document()?),
            ))
        })
        .collect();
    if !inline.is_empty() {
        f = f.with("inlinePolicies", Value::Object(inline));
    }
    let mut found = vec![f.with("tags", tags::to_value(tags))];
    for policy in role.attached_managed_policies() {
        let Some(policy_arn) = policy.policy_arn() else {
            continue;
        };
        let short = policy_arn.rsplit('/').next().unwrap_or(policy_arn);
        let mut attachment = Found::new(K::IamRolePolicyAttachment, format!("{name}|{policy_arn}"))
            .named(format!("{name}/{short}"))
            .with("role", arn)
            .with("policyArn", policy_arn)
            // Everything attached to our role is ours to manage.
            .orphan_at(Address::new(format!("{address}.attachment[{short}]")));
        attachment.outputs = attachment_outputs(name, policy_arn);
        found.push(attachment);
    }
    found
}
