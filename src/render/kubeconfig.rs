//! kubeconfig files and exec credentials: the blueprint's cluster as a kubeconfig entry whose
//! credential plugin is shinyctl itself (`shinyctl token`), merged into an existing file without
//! touching its other clusters, users and contexts, as `aws eks update-kubeconfig` does.
//!
//! Formats: the kubeconfig `v1` `Config` object and the `client.authentication.k8s.io/v1beta1`
//! `ExecCredential` (Kubernetes docs, "client-go credential plugins"). kubectl reads kubeconfig as
//! YAML; the file is written with the project's YAML writer.

use serde_json::{Map, Value, json};

/// The exec API version kubectl and client-go accept from a credential plugin (v1beta1 is what
/// `aws eks get-token` prints, understood by every client since Kubernetes 1.11).
pub(crate) const EXEC_API_VERSION: &str = "client.authentication.k8s.io/v1beta1";

/// One cluster's entry: where it is and how shinyctl makes a token for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterEntry {
    /// The name of the cluster, user and context entries (the EKS cluster's ARN by default, as
    /// `aws eks update-kubeconfig` names them, or `--context`).
    pub context: String,
    /// The EKS cluster's name, for `shinyctl token --cluster`.
    pub cluster: String,
    pub region: String,
    pub endpoint: String,
    /// Base64 PEM of the cluster's certificate authority, as DescribeCluster answers it.
    pub certificate_authority_data: Option<String>,
    /// `--profile` given to `shinyctl kubeconfig`: the token is signed with the same credentials.
    pub profile: Option<String>,
    /// The program kubectl runs for a token.
    pub command: String,
}

impl ClusterEntry {
    fn cluster_item(&self) -> Value {
        let mut cluster = Map::new();
        cluster.insert("server".into(), json!(self.endpoint));
        if let Some(ca) = &self.certificate_authority_data {
            cluster.insert("certificate-authority-data".into(), json!(ca));
        }
        json!({"name": self.context, "cluster": cluster})
    }

    fn user_item(&self) -> Value {
        let mut args = vec![
            json!("token"),
            json!("--cluster"),
            json!(self.cluster),
            json!("--region"),
            json!(self.region),
        ];
        if let Some(profile) = &self.profile {
            args.extend([json!("--profile"), json!(profile)]);
        }
        json!({
            "name": self.context,
            "user": {"exec": {
                "apiVersion": EXEC_API_VERSION,
                "command": self.command,
                "args": args,
                "interactiveMode": "Never",
                "provideClusterInfo": false,
            }},
        })
    }

    fn context_item(&self) -> Value {
        json!({"name": self.context, "context": {"cluster": self.context, "user": self.context}})
    }
}

/// Why an existing kubeconfig cannot take the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("the existing kubeconfig is not a mapping (kind: Config) at its top level")]
    NotAConfig,
    #[error("`{0}` in the existing kubeconfig is not a list")]
    NotAList(&'static str),
}

/// `existing` (a parsed kubeconfig, or `None` for a new file) with `entry`'s cluster, user and
/// context added or replaced by name, and made the current context. Everything else is kept as
/// it was, in its order.
pub fn merge(existing: Option<Value>, entry: &ClusterEntry) -> Result<Value, MergeError> {
    let mut config = match existing {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(MergeError::NotAConfig),
    };
    config.entry("apiVersion").or_insert_with(|| json!("v1"));
    config.entry("kind").or_insert_with(|| json!("Config"));
    for (key, item) in [
        ("clusters", entry.cluster_item()),
        ("users", entry.user_item()),
        ("contexts", entry.context_item()),
    ] {
        let list = config.entry(key).or_insert_with(|| json!([]));
        if list.is_null() {
            *list = json!([]);
        }
        let Value::Array(items) = list else {
            return Err(MergeError::NotAList(key));
        };
        match items
            .iter_mut()
            .find(|i| i.get("name") == Some(&json!(entry.context)))
        {
            Some(existing) => *existing = item,
            None => items.push(item),
        }
    }
    config.insert("current-context".into(), json!(entry.context));
    Ok(Value::Object(config))
}

/// An existing kubeconfig's text as a JSON value; `None` when it is empty. Errors are sentences.
pub fn parse_existing(text: &str) -> Result<Option<Value>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match crate::blueprint::yaml::parse(text) {
        Ok((document, problems)) => match problems.first() {
            None => Ok(Some(document.value)),
            Some(problem) => Err(format!("{}: {}", problem.path, problem.message)),
        },
        Err((at, message)) => Err(format!(
            "line {} column {}: not valid YAML: {message}",
            at.line, at.column
        )),
    }
}

/// The `ExecCredential` kubectl reads from `shinyctl token` on stdout.
pub fn exec_credential(token: &str, expiration_rfc3339: &str) -> String {
    let credential = json!({
        "kind": "ExecCredential",
        "apiVersion": EXEC_API_VERSION,
        "spec": {},
        "status": {"expirationTimestamp": expiration_rfc3339, "token": token},
    });
    format!("{credential}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> ClusterEntry {
        ClusterEntry {
            context: "arn:aws-cn:eks:cn-northwest-1:111122223333:cluster/analytics".into(),
            cluster: "analytics".into(),
            region: "cn-northwest-1".into(),
            endpoint: "https://ABC.gr7.cn-northwest-1.eks.amazonaws.com.cn".into(),
            certificate_authority_data: Some("LS0tLS1CRUdJTg==".into()),
            profile: Some("ops".into()),
            command: "shinyctl".into(),
        }
    }

    #[test]
    fn a_new_file_gets_one_cluster_user_and_context() {
        let config = merge(None, &entry()).unwrap();
        insta::assert_snapshot!(crate::workload::yaml::to_yaml(&config));
    }

    #[test]
    fn merging_keeps_other_entries_and_replaces_its_own() {
        let other = json!({"name": "kind-dev", "cluster": {"server": "https://127.0.0.1:6443"}});
        let stale = json!({"name": entry().context, "cluster": {"server": "https://old"}});
        let existing = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {"colors": true},
            "clusters": [other, stale],
            "users": [{"name": "kind-dev", "user": {"token": "keep-me"}}],
            "contexts": null,
            "current-context": "kind-dev",
        });
        let merged = merge(Some(existing), &entry()).unwrap();
        let clusters = merged["clusters"].as_array().unwrap();
        assert_eq!(clusters.len(), 2);
        assert_eq!(clusters[0], other);
        assert_eq!(clusters[1]["cluster"]["server"], json!(entry().endpoint));
        assert_eq!(merged["users"][0]["user"]["token"], json!("keep-me"));
        assert_eq!(merged["users"][1]["name"], json!(entry().context));
        assert_eq!(merged["contexts"].as_array().unwrap().len(), 1);
        assert_eq!(merged["current-context"], json!(entry().context));
        assert_eq!(merged["preferences"], json!({"colors": true}));
        // Merging again changes nothing.
        assert_eq!(merge(Some(merged.clone()), &entry()).unwrap(), merged);
    }

    #[test]
    fn a_file_that_is_not_a_kubeconfig_is_refused() {
        assert_eq!(
            merge(Some(json!(["a"])), &entry()),
            Err(MergeError::NotAConfig)
        );
        assert_eq!(
            merge(Some(json!({"users": "x"})), &entry()),
            Err(MergeError::NotAList("users"))
        );
    }

    #[test]
    fn an_existing_file_is_read_as_yaml() {
        let text = "apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: 'https://x'}\n";
        let value = parse_existing(text).unwrap().unwrap();
        assert_eq!(
            value["clusters"][0]["cluster"]["server"],
            json!("https://x")
        );
        assert_eq!(parse_existing("  \n").unwrap(), None);
        assert!(
            parse_existing("a: [")
                .unwrap_err()
                .contains("not valid YAML")
        );
    }

    #[test]
    fn the_exec_credential_is_what_kubectl_reads() {
        let text = exec_credential("k8s-aws-v1.abc", "2026-12-05T14:00:00Z");
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["apiVersion"], json!(EXEC_API_VERSION));
        assert_eq!(value["status"]["token"], json!("k8s-aws-v1.abc"));
        assert_eq!(
            value["status"]["expirationTimestamp"],
            json!("2026-12-05T14:00:00Z")
        );
    }
}
