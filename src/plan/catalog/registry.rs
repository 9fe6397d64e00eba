//! `registry`: ECR repositories under the blueprint's namespace, each with a keep-last-N
//! lifecycle policy when asked for.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Catalog, addresses as a};
use crate::plan::{Resource, ResourceKind as K};

/// An ECR repository's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcrRepositoryProps {
    pub(crate) repository_name: String,
    /// `MUTABLE` or `IMMUTABLE`.
    pub(crate) image_tag_mutability: String,
    pub(crate) image_scanning_configuration: ImageScanning,
    /// Set by CreateRepository only (a replace-on property).
    pub(crate) encryption_configuration: RepositoryEncryption,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageScanning {
    pub(crate) scan_on_push: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RepositoryEncryption {
    /// `AES256` (the only one shinyctl asks for).
    pub(crate) encryption_type: String,
}

/// An ECR lifecycle policy's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcrLifecyclePolicyProps {
    /// The repository's address (its ARN once resolved).
    pub(crate) repository: String,
    /// The policy document as the JSON text ECR stores.
    pub(crate) policy_text: String,
}

pub(crate) fn build(catalog: &mut Catalog) {
    let Some(registry) = catalog.bp.registry.clone() else {
        return;
    };
    for (i, repo) in registry.repositories.iter().enumerate() {
        let origin = format!("registry.repositories[{i}]");
        let name = catalog.names.repository(&repo.name);
        let address = a::ecr_repository(&repo.name);
        catalog.push(
            Resource::new(
                address.clone(),
                K::EcrRepository,
                name.clone(),
                origin.clone(),
            )
            .props(&EcrRepositoryProps {
                repository_name: name.clone(),
                image_tag_mutability: if repo.immutable_tags {
                    "IMMUTABLE"
                } else {
                    "MUTABLE"
                }
                .into(),
                image_scanning_configuration: ImageScanning {
                    scan_on_push: repo.scan_on_push,
                },
                encryption_configuration: RepositoryEncryption {
                    encryption_type: "AES256".into(),
                },
            }),
        );
        if let Some(keep) = repo.keep_last_images {
            catalog.push(
                Resource::new(
                    a::ecr_lifecycle_policy(&repo.name),
                    K::EcrLifecyclePolicy,
                    name,
                    origin,
                )
                .props(&EcrLifecyclePolicyProps {
                    repository: address,
                    policy_text: keep_last_policy(keep),
                }),
            );
        }
    }
}

/// The lifecycle policy document, as the JSON text ECR stores.
pub(crate) fn keep_last_policy(keep: u32) -> String {
    json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("keep the last {keep} images"),
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": keep
            },
            "action": {"type": "expire"}
        }]
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<EcrRepositoryProps>(K::EcrRepository);
        check_spec_fields::<EcrLifecyclePolicyProps>(K::EcrLifecyclePolicy);
    }

    #[test]
    fn keep_last_policy_is_ecr_json() {
        assert_eq!(
            keep_last_policy(20),
            r#"{"rules":[{"rulePriority":1,"description":"keep the last 20 images","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":20},"action":{"type":"expire"}}]}"#
        );
    }
}
