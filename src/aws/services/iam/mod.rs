//! IAM: roles (trust policy, description, inline policies, tags), managed-policy attachments and
//! the cluster's OIDC provider.
//!
//! IAM is global and its tagging is not in the Resource Groups Tagging API, so roles are read by
//! name: every role whose name starts with `<blueprint>-` (all derived role names do), then its
//! tags decide. Role ids are ARNs (partition-aware, from AWS); an attachment's role name is the
//! ARN's last segment. IAM returns policy documents percent-encoded (RFC 3986); they are decoded
//! and parsed so they compare as JSON with the catalog's.
//!
//! The readers are in the adapter files: `iam_role.rs` reads the roles with their policy
//! attachments (one answer holds both), `iam_oidc_provider.rs` the OIDC providers.

use aws_sdk_iam::types::Tag;
use serde_json::{Map, Value};

use super::{AwsResult, AwsStep, TagApi, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};

/// IAM's TagRole and UntagRole, by role name.
pub(crate) struct IamRoleTags;

super::tag_api!(IamRoleTags, iam, tag_role / untag_role, role_name, iam_tags);

/// IAM's TagOpenIDConnectProvider and UntagOpenIDConnectProvider, by provider ARN.
pub(crate) struct IamOidcProviderTags;

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

/// Tags as IAM returns them, as a set.
pub(super) fn read_tags(tags: &[Tag]) -> TagSet {
    tags::from_pairs(tags.iter().map(|t| (t.key(), t.value())))
}

/// Decodes `%XX` escapes (IAM's policy documents); invalid escapes stay as they are.
pub(crate) fn percent_decode(text: &str) -> String {
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
pub(crate) fn role_name_of(arn_or_name: &str) -> &str {
    arn_or_name.rsplit('/').next().unwrap_or(arn_or_name)
}

/// The observed inline policies (by name) of a role.
pub(super) fn observed_inline_policies(step: &AwsStep<'_>) -> Map<String, Value> {
    step.observed("inlinePolicies")
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
pub(crate) fn issuer_host_of(arn: &str) -> Option<&str> {
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
