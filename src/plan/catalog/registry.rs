//! `registry`: ECR repositories under the blueprint's namespace, each with a keep-last-N
//! lifecycle policy when asked for.

use serde_json::json;

use super::{Catalog, addresses as a};
use crate::plan::{Resource, ResourceKind as K};

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
            .with("repositoryName", name.clone())
            .with(
                "imageTagMutability",
                if repo.immutable_tags {
                    "IMMUTABLE"
                } else {
                    "MUTABLE"
                },
            )
            .with(
                "imageScanningConfiguration",
                json!({"scanOnPush": repo.scan_on_push}),
            )
            .with(
                "encryptionConfiguration",
                json!({"encryptionType": "AES256"}),
            ),
        );
        if let Some(keep) = repo.keep_last_images {
            catalog.push(
                Resource::new(
                    a::ecr_lifecycle_policy(&repo.name),
                    K::EcrLifecyclePolicy,
                    name,
                    origin,
                )
                .with("repository", address)
                .with("policyText", keep_last_policy(keep)),
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

    #[test]
    fn keep_last_policy_is_ecr_json() {
        assert_eq!(
            keep_last_policy(20),
            r#"{"rules":[{"rulePriority":1,"description":"keep the last 20 images","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":20},"action":{"type":"expire"}}]}"#
        );
    }
}
