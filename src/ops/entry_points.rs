//! Where the platform is once apply has made it: the URL users open (and the CNAME that makes the
//! domain point at the load balancer), how to reach the cluster, the database and cache
//! endpoints. Never a secret: only names, hosts and ports. Pure: from the blueprint, the desired
//! resources and the outputs AWS answered with; `render::entry_points` shows it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::apply::Outputs;
use crate::blueprint::Blueprint;
use crate::blueprint::model::ListenerProtocol;
use crate::plan::catalog::addresses;
use crate::plan::{Address, Resource, ResourceKind};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryPoints {
    /// What users open: `https://<domain>` when the ingress has one, else the load balancer's
    /// DNS name.
    pub url: Option<String>,
    /// The DNS record the user makes so that the domain reaches the load balancer.
    pub cname: Option<Cname>,
    pub cluster: Option<ClusterAccess>,
    pub database: Option<Endpoint>,
    pub cache: Option<Endpoint>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cname {
    pub name: String,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterAccess {
    pub name: String,
    pub region: String,
    /// The AWS CLI command that writes a kubeconfig entry for the cluster.
    pub kubeconfig_command: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub host: String,
    pub port: Option<u64>,
    /// Aurora's reader endpoint.
    pub reader_host: Option<String>,
}

impl EntryPoints {
    pub fn is_empty(&self) -> bool {
        self == &EntryPoints::default()
    }
}

/// `word` as one shell word: quoted when it holds anything a shell would split or expand.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:@+=,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The entry points of `bp` in `region`, from what AWS answered (`outputs`, by address).
pub fn entry_points(
    bp: &Blueprint,
    blueprint_file: &str,
    region: &str,
    resources: &[Resource],
    outputs: &BTreeMap<Address, Outputs>,
) -> EntryPoints {
    let text = |address: &str, key: &str| {
        outputs
            .get(&Address::new(address))
            .and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let first_of = |kinds: &[ResourceKind]| {
        resources
            .iter()
            .find(|r| kinds.contains(&r.kind))
            .and_then(|r| outputs.get(&r.address))
    };
    let mut entry = EntryPoints::default();

    if let Some(ingress) = &bp.ingress {
        let dns = text(addresses::LOAD_BALANCER, "dnsName");
        let listener = ingress.canary_listener();
        let secure = listener
            .is_some_and(|l| matches!(l.protocol, ListenerProtocol::Https | ListenerProtocol::Tls));
        let scheme = if secure { "https" } else { "http" };
        let port = listener
            .map(|l| l.port)
            .filter(|&p| p != if secure { 443 } else { 80 })
            .map_or(String::new(), |p| format!(":{p}"));
        let host = ingress.domain.clone().or(dns.clone());
        entry.url = host.map(|host| format!("{scheme}://{host}{port}"));
        if let (Some(domain), Some(dns)) = (&ingress.domain, dns) {
            entry.cname = Some(Cname {
                name: domain.clone(),
                target: dns,
            });
        }
    }

    if let Some(cluster) = resources
        .iter()
        .find(|r| r.kind == ResourceKind::EksCluster)
    {
        let name = text(cluster.address.as_str(), "clusterName").unwrap_or(cluster.name.clone());
        entry.cluster = Some(ClusterAccess {
            // shinyctl's own entry: its token plugin needs no AWS CLI (docs/commands.md).
            kubeconfig_command: format!("shinyctl kubeconfig -f {}", shell_word(blueprint_file)),
            name,
            region: region.to_string(),
        });
    }

    let endpoint = |o: &Outputs| {
        let host = o.get("endpoint").and_then(Value::as_str)?.to_string();
        Some(Endpoint {
            host,
            port: o.get("port").and_then(Value::as_u64),
            reader_host: o
                .get("readerEndpoint")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    };
    entry.database =
        first_of(&[ResourceKind::DbCluster, ResourceKind::DbInstance]).and_then(endpoint);
    entry.cache = first_of(&[ResourceKind::CacheReplicationGroup]).and_then(endpoint);
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outputs(pairs: &[(&str, Value)]) -> BTreeMap<Address, Outputs> {
        pairs
            .iter()
            .map(|(address, value)| (Address::new(*address), value.as_object().unwrap().clone()))
            .collect()
    }

    #[test]
    fn the_example_platform_after_apply() {
        let loaded = crate::load::load_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/blueprints/shinyproxy-eks.yaml"
        )))
        .unwrap();
        let lb = "analytics-alb-1.cn-northwest-1.elb.amazonaws.com.cn";
        let out = outputs(&[
            ("ingress.load_balancer", json!({"dnsName": lb})),
            ("cluster.eks_cluster", json!({"clusterName": "analytics"})),
            (
                "database.db_cluster",
                json!({"endpoint": "db.example", "readerEndpoint": "db-ro.example", "port": 5432,
                       "masterUserSecretArn": "arn:aws-cn:secretsmanager:x"}),
            ),
            (
                "cache.cache_replication_group",
                json!({"endpoint": "cache.example", "port": 6379}),
            ),
        ]);
        let entry = entry_points(
            &loaded.blueprint,
            "blueprints/shinyproxy-eks.yaml",
            "cn-northwest-1",
            &loaded.resources,
            &out,
        );
        assert_eq!(entry.url.as_deref(), Some("https://shiny.example.com"));
        assert_eq!(
            entry.cname,
            Some(Cname {
                name: "shiny.example.com".into(),
                target: lb.into()
            })
        );
        assert_eq!(
            entry.cluster.unwrap().kubeconfig_command,
            "shinyctl kubeconfig -f blueprints/shinyproxy-eks.yaml"
        );
        let db = entry.database.unwrap();
        assert_eq!(
            (db.host.as_str(), db.port, db.reader_host.as_deref()),
            ("db.example", Some(5432), Some("db-ro.example"))
        );
        assert_eq!(entry.cache.unwrap().host, "cache.example");
    }

    #[test]
    fn without_a_domain_the_load_balancers_name_is_the_url() {
        let mut loaded = crate::load::load_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/blueprints/lowcode-ha.yaml"
        )))
        .unwrap();
        loaded.blueprint.ingress.as_mut().unwrap().domain = None;
        let out = outputs(&[("ingress.load_balancer", json!({"dnsName": "lb.example"}))]);
        let entry = entry_points(
            &loaded.blueprint,
            "blueprints/shinyproxy-eks.yaml",
            "cn-northwest-1",
            &loaded.resources,
            &out,
        );
        assert_eq!(entry.url.as_deref(), Some("http://lb.example:8000"));
        assert_eq!(entry.cname, None);
        assert!(entry.database.is_none(), "no endpoint answered yet");
    }

    #[test]
    fn a_blueprint_path_is_one_shell_word() {
        assert_eq!(shell_word("blueprints/a.yaml"), "blueprints/a.yaml");
        assert_eq!(shell_word("my dir/it's.yaml"), "'my dir/it'\\''s.yaml'");
    }
}
