//! The proxy workload as files: `application.yml` (ShinyProxy's configuration, also inside the
//! ConfigMap) and one YAML file per Kubernetes object under `manifests/`, numbered in apply
//! order: `manifests/07-deployment-shinyproxy-shinyproxy.yaml` (`<n>-<kind>-[<namespace>-]<name>`).

use crate::workload::yaml::to_yaml;
use crate::workload::{PlatformFacts, Workload};

/// First line of every file rendered without AWS.
pub(crate) const OFFLINE_NOTE: &str = "# Rendered offline: AWS ids, endpoints and ARNs are placeholders (account 000000000000, *.invalid hosts); see docs/workload.md.\n";

/// `(relative path, contents)` of every file, in apply order after `application.yml` (when there
/// is a proxy).
pub fn files(workload: &Workload, facts: &PlatformFacts) -> Vec<(String, String)> {
    let header = if facts.offline { OFFLINE_NOTE } else { "" };
    let mut out = Vec::new();
    if !workload.application_yml.is_null() {
        out.push((
            "application.yml".to_string(),
            format!("{header}{}", to_yaml(&workload.application_yml)),
        ));
    }
    let width = workload.objects.len().to_string().len().max(2);
    for (i, object) in workload.objects.iter().enumerate() {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_ascii_lowercase();
        let meta = &object["metadata"];
        let mut name = format!("{:0width$}-{}", i + 1, text(&object["kind"]));
        let namespace = text(&meta["namespace"]);
        if !namespace.is_empty() {
            name.push('-');
            name.push_str(&namespace);
        }
        name.push('-');
        name.push_str(&text(&meta["name"]));
        out.push((
            format!("manifests/{name}.yaml"),
            format!("{header}{}", to_yaml(object)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_file_per_object_in_apply_order() {
        let workload = Workload {
            application_yml: json!({"proxy": {"port": 8080}}),
            objects: vec![
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sp"}}),
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shinyproxy", "namespace": "sp"}}),
            ],
        };
        let mut facts = crate::workload::PlatformFacts {
            registry_host: String::new(),
            redis: None,
            database: None,
            efs: None,
            target_group_arn: None,
            load_balancer_controller_role_arn: None,
            vpc_id: String::new(),
            offline: false,
        };
        let names: Vec<String> = files(&workload, &facts).into_iter().map(|f| f.0).collect();
        assert_eq!(
            names,
            [
                "application.yml",
                "manifests/01-namespace-sp.yaml",
                "manifests/02-deployment-sp-shinyproxy.yaml"
            ]
        );
        facts.offline = true;
        assert!(files(&workload, &facts)[1].1.starts_with(OFFLINE_NOTE));
    }
}
