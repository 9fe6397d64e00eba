//! IAM: roles (trust policy, description, inline policies, tags), managed-policy attachments and
//! the cluster's OIDC provider.
//!
//! IAM is global and its tagging is not in the Resource Groups Tagging API, so roles are read by
//! name: every role whose name starts with `<blueprint>-` (all derived role names do), then its
//! tags decide. Role ids are ARNs (partition-aware, from AWS); an attachment's role name is the
//! ARN's last segment. IAM returns policy documents percent-encoded (RFC 3986); they are decoded
//! and parsed so they compare as JSON with the catalog's.

use aws_sdk_iam::types::Tag;
use serde_json::{Map, Value};

use super::{AwsRead, AwsResult, AwsStep, Found, TagApi, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::{Address, ResourceKind as K};

/// IAM's TagRole and UntagRole, by role name.
pub struct IamRoleTags;

super::tag_api!(IamRoleTags, iam, tag_role / untag_role, role_name, iam_tags);

/// IAM's TagOpenIDConnectProvider and UntagOpenIDConnectProvider, by provider ARN.
pub struct IamOidcProviderTags;

super::tag_api!(
    IamOidcProviderTags,
    iam,
    tag_open_id_connect_provider / untag_open_id_connect_provider,
    open_id_connect_provider_arn,
    iam_tags
);

pub(super) fn iam_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

pub(super) fn read_tags(tags: &[Tag]) -> TagSet {
    tags::from_pairs(tags.iter().map(|t| (t.key(), t.value())))
}

/// Decodes `%XX` escapes (IAM's policy documents); invalid escapes stay as they are.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A policy document as IAM returns it (encoded or not) -> JSON.
pub fn policy_document(text: &str) -> Value {
    let trimmed = text.trim_start();
    let decoded = if trimmed.starts_with('{') {
        text.to_string()
    } else {
        percent_decode(text)
    };
    serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
}

/// `arn:aws:iam::1:role/path/name` -> `name`.
pub fn role_name_of(arn_or_name: &str) -> &str {
    arn_or_name.rsplit('/').next().unwrap_or(arn_or_name)
}

/// The observed inline policies (by name) of a role.
pub(super) fn observed_inline_policies(step: &AwsStep<'_>) -> Map<String, Value> {
    step.request
        .step
        .observed
        .as_ref()
        .and_then(|p| p.get("inlinePolicies"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Makes the tags of `id` the desired ones, from `current` (as read from IAM when adopting a
/// resource an interrupted run made; updates use [`super::sync_tags`]).
pub(super) async fn retag<T: TagApi>(
    step: &AwsStep<'_>,
    id: &str,
    current: &TagSet,
) -> Result<(), StepError> {
    let (set, remove) = tags::changes(current, &step.tags());
    if !remove.is_empty() {
        T::untag(step, id, remove).await?;
    }
    if !set.is_empty() {
        T::tag(step, id, &set).await?;
    }
    Ok(())
}

pub(super) async fn read_inline_policies(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Map<String, Value>, StepError> {
    let names: Vec<String> = iam
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .aws()?;
    let mut policies = Map::new();
    for name in names {
        let out = iam
            .get_role_policy()
            .role_name(role)
            .policy_name(&name)
            .send()
            .await
            .aws()?;
        policies.insert(name, policy_document(out.policy_document()));
    }
    Ok(policies)
}

pub(super) fn attachment_outputs(role: &str, policy: &str) -> Outputs {
    let mut out = outputs(&format!("{role}|{policy}"), None, None);
    out.insert("roleName".into(), Value::from(role));
    out.insert("policyArn".into(), Value::from(policy));
    out
}

/// `arn:…:oidc-provider/oidc.eks.<region>.amazonaws.com/id/X` -> `oidc.eks.<region>.amazonaws.com/id/X`:
/// the issuer without its scheme, which IRSA trust policies put in front of their condition keys.
pub fn issuer_host_of(arn: &str) -> Option<&str> {
    arn.split_once(":oidc-provider/").map(|(_, host)| host)
}

/// A provider's outputs: `id`/`arn`, `name`, and `issuerHost` (referred to as
/// `${cluster.iam_oidc_provider#issuerHost}`).
pub(super) fn oidc_outputs(arn: &str, name: &str) -> Outputs {
    let mut out = outputs(arn, Some(arn), Some(name));
    if let Some(host) = issuer_host_of(arn) {
        out.insert("issuerHost".into(), Value::from(host));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Roles named `<blueprint>-…` (or with a desired role's name) and tagged for the blueprint, with
/// their attachments and inline policies; OIDC providers tagged for the blueprint.
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let (mut roles, providers) = futures::try_join!(read_roles(read), read_oidc_providers(read))?;
    roles.extend(providers);
    Ok(roles)
}

/// The most entries IAM returns per page (ListRoles, GetAccountAuthorizationDetails).
const IAM_PAGE: i32 = 1000;

/// Two paginated calls for every role, however many: GetAccountAuthorizationDetails
/// (`Filter=Role`) carries each role's tags, trust policy, inline policies with their documents
/// and attached managed policies; ListRoles carries the description, which that call leaves out.
/// (Per role, GetRole + ListRolePolicies + GetRolePolicy + ListAttachedRolePolicies would be four
/// or more calls each.)
async fn read_roles(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let iam = &read.conn.clients.iam;
    let (details, listed) = futures::try_join!(
        async {
            Ok::<_, StepError>(all_pages!(
                iam.get_account_authorization_details()
                    .filter(aws_sdk_iam::types::EntityType::Role)
                    .max_items(IAM_PAGE)
                    .into_paginator()
                    .send()
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
    let roles = details
        .into_iter()
        .flat_map(|page| page.role_detail_list.unwrap_or_default());
    let mut found = Vec::new();
    for role in roles {
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

/// ListOpenIDConnectProviders, then GetOpenIDConnectProvider for each (IAM has no batch read of
/// providers, and the list carries neither tags nor URLs; an account holds one per cluster).
async fn read_oidc_providers(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let iam = &read.conn.clients.iam;
    let list = iam.list_open_id_connect_providers().send().await.aws()?;
    // One GetOpenIDConnectProvider per provider, all at once.
    let found = futures::future::try_join_all(
        list.open_id_connect_provider_list()
            .iter()
            .filter_map(|entry| entry.arn())
            .map(|arn| oidc_provider_found(read, arn)),
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn oidc_provider_found(read: &AwsRead<'_>, arn: &str) -> Result<Option<Found>, StepError> {
    let iam = &read.conn.clients.iam;
    let Some(provider) = not_found_as_none(
        iam.get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .aws(),
    )?
    else {
        return Ok(None);
    };
    let tags = read_tags(provider.tags());
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    let url = provider.url().unwrap_or_default();
    let url = if url.starts_with("https://") {
        url.to_string()
    } else {
        format!("https://{url}")
    };
    Ok(Some(
        Found::new(K::IamOidcProvider, arn)
            .at(Some(address))
            .with("url", url)
            .with("clientIdList", provider.client_id_list().to_vec())
            .with("tags", tags::to_value(&tags))
            .output("arn", arn)
            .output("issuerHost", issuer_host_of(arn).unwrap_or_default()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_iam_policy_documents() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            policy_document(encoded),
            json!({"Version": "2012-10-17", "Statement": []})
        );
        // Already plain JSON (moto's ListRoles), and broken escapes, pass through.
        assert_eq!(policy_document("{\"a\": \"50%\"}"), json!({"a": "50%"}));
        assert_eq!(percent_decode("100%zz%4"), "100%zz%4");
        assert_eq!(percent_decode("a%20b"), "a b");
    }

    #[test]
    fn issuer_hosts_from_provider_arns() {
        assert_eq!(
            issuer_host_of(
                "arn:aws-cn:iam::1:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/AB"
            ),
            Some("oidc.eks.cn-north-1.amazonaws.com.cn/id/AB")
        );
        assert_eq!(issuer_host_of("arn:aws:iam::1:role/x"), None);
    }

    #[test]
    fn role_names_from_arns() {
        assert_eq!(
            role_name_of("arn:aws-cn:iam::1:role/demo-eks-node"),
            "demo-eks-node"
        );
        assert_eq!(role_name_of("arn:aws:iam::1:role/path/x/demo"), "demo");
        assert_eq!(role_name_of("demo"), "demo");
    }
}
