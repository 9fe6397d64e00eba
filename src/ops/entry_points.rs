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
    pub(crate) url: Option<String>,
    /// The DNS record the user makes so that the domain reaches the load balancer.
    pub(crate) cname: Option<Cname>,
    pub(crate) cluster: Option<ClusterAccess>,
    pub(crate) database: Option<Endpoint>,
    pub(crate) cache: Option<Endpoint>,
    /// The app servers, reached through Session Manager (there is no SSH).
    pub(crate) servers: Vec<ServerAccess>,
    /// The Auto Scaling groups of app servers: their instances come and go, so the commands
    /// name a placeholder and say where the ids are listed.
    pub(crate) groups: Vec<GroupAccess>,
}

/// An Auto Scaling group of app servers: how to find its instances, and the Session Manager
/// commands for any one of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupAccess {
    /// The Auto Scaling group's name (`lowcode-asg-srv-app-asg`).
    pub(crate) name: String,
    /// `shinyctl status -f <file>`: lists the group's instance ids with their lifecycle states.
    pub(crate) status_command: String,
    /// The same ids from the AWS CLI (DescribeAutoScalingGroups, the instances `InService`).
    pub(crate) instances_command: String,
    /// `aws ssm start-session --target <instance-id> --region <region>`.
    pub(crate) session_command: String,
    /// Per port nginx forwards to, as [`ServerAccess::port_commands`], with the placeholder.
    pub(crate) port_commands: Vec<(u16, String)>,
}

/// What stands for one of a group's instance ids in its commands.
pub(crate) const INSTANCE_PLACEHOLDER: &str = "<instance-id>";

/// One app server: a shell and its local ports through Session Manager.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServerAccess {
    /// `lowcode-srv-app-a1`.
    pub(crate) name: String,
    pub(crate) instance_id: String,
    /// `aws ssm start-session --target <id> --region <region>`.
    pub(crate) session_command: String,
    /// Per port nginx forwards to (a product's console among them), the command that makes it
    /// `localhost:<port>` on the user's machine (AWS-StartPortForwardingSession).
    pub(crate) port_commands: Vec<(u16, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cname {
    pub(crate) name: String,
    pub(crate) target: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClusterAccess {
    pub(crate) name: String,
    pub(crate) region: String,
    /// The AWS CLI command that writes a kubeconfig entry for the cluster.
    pub(crate) kubeconfig_command: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: Option<u64>,
    /// Aurora's reader endpoint.
    pub(crate) reader_host: Option<String>,
}

impl EntryPoints {
    pub(crate) fn is_empty(&self) -> bool {
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
pub(crate) fn entry_points(
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
    entry.servers = servers(bp, region, resources, outputs);
    entry.groups = groups(bp, blueprint_file, region, resources, outputs);
    entry
}

/// The ports nginx forwards to on `group`'s servers, each once, in order.
fn forwarded_ports(group: &crate::blueprint::model::ServerGroup) -> Vec<u16> {
    let mut ports: Vec<u16> = group
        .nginx
        .iter()
        .flat_map(|n| n.locations.iter().map(|l| l.to))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// `session` with AWS-StartPortForwardingSession for each of `ports` (the same port locally).
fn port_commands(session: &str, ports: &[u16]) -> Vec<(u16, String)> {
    ports
        .iter()
        .map(|port| {
            (
                *port,
                format!(
                    "{session} --document-name AWS-StartPortForwardingSession --parameters portNumber={port},localPortNumber={port}"
                ),
            )
        })
        .collect()
}

/// The Auto Scaling groups AWS answered for, in blueprint order. Their instance ids are not in
/// the plan (Auto Scaling launches and replaces them), so the commands take one from `shinyctl
/// status`, which lists them, or from DescribeAutoScalingGroups (`--query` is the AWS CLI's
/// JMESPath filter over the answer's `AutoScalingGroups[].Instances[]`, whose `LifecycleState`
/// is `InService` for an instance that serves: botocore `autoscaling` Instance; a JMESPath
/// raw string literal in `'…'`, the whole query in the shell's double quotes).
fn groups(
    bp: &Blueprint,
    blueprint_file: &str,
    region: &str,
    resources: &[Resource],
    outputs: &BTreeMap<Address, Outputs>,
) -> Vec<GroupAccess> {
    let mut found = Vec::new();
    for group in &bp.servers {
        let address = format!("servers.autoscaling_group[{}]", group.name);
        let Some(resource) = resources
            .iter()
            .find(|r| r.kind == ResourceKind::AutoScalingGroup && r.address.as_str() == address)
        else {
            continue;
        };
        let Some(name) = outputs
            .get(&resource.address)
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let session =
            format!("aws ssm start-session --target {INSTANCE_PLACEHOLDER} --region {region}");
        found.push(GroupAccess {
            name: name.to_string(),
            status_command: format!("shinyctl status -f {}", shell_word(blueprint_file)),
            instances_command: format!(
                "aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names {} \
                 --region {region} --query \"AutoScalingGroups[0].Instances[?LifecycleState=='InService'].InstanceId\" \
                 --output text",
                shell_word(name),
            ),
            port_commands: port_commands(&session, &forwarded_ports(group)),
            session_command: session,
        });
    }
    found
}

/// The servers AWS answered for, in address order, with the Session Manager commands that reach
/// them ("Start a session", Systems Manager user guide: `start-session`, and the
/// `AWS-StartPortForwardingSession` document with `portNumber` and `localPortNumber`).
fn servers(
    bp: &Blueprint,
    region: &str,
    resources: &[Resource],
    outputs: &BTreeMap<Address, Outputs>,
) -> Vec<ServerAccess> {
    let mut found = Vec::new();
    for group in &bp.servers {
        let ports = forwarded_ports(group);
        let prefix = format!("servers.ec2_instance[{}-", group.name);
        let instances = resources.iter().filter(|r| {
            r.kind == ResourceKind::Ec2Instance && r.address.as_str().starts_with(&prefix)
        });
        for instance in instances {
            let Some(id) = outputs
                .get(&instance.address)
                .and_then(|o| o.get("id"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let session = format!("aws ssm start-session --target {id} --region {region}");
            found.push(ServerAccess {
                name: instance.name.clone(),
                instance_id: id.to_string(),
                port_commands: port_commands(&session, &ports),
                session_command: session,
            });
        }
    }
    found
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
        let loaded = crate::load::shipped("shinyproxy-eks.yaml");
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
        let mut loaded = crate::load::shipped("lowcode-ha.yaml");
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
        assert!(entry.servers.is_empty(), "no server answered yet");
        assert_eq!(entry.cname, None);
        assert!(entry.database.is_none(), "no endpoint answered yet");
    }

    /// Seed 001's servers: a Session Manager shell each, and each port nginx forwards to (the
    /// console on 22345 among them) as a local port — no SSH.
    #[test]
    fn servers_are_reached_through_session_manager() {
        let loaded = crate::load::shipped("lowcode-ha.yaml");
        let out = outputs(&[
            ("servers.ec2_instance[app-a1]", json!({"id": "i-0a"})),
            ("servers.ec2_instance[app-b1]", json!({"id": "i-0b"})),
        ]);
        let entry = entry_points(
            &loaded.blueprint,
            "blueprints/lowcode-ha.yaml",
            "cn-northwest-1",
            &loaded.resources,
            &out,
        );
        let names: Vec<&str> = entry.servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["lowcode-srv-app-a1", "lowcode-srv-app-b1"]);
        let a1 = &entry.servers[0];
        assert_eq!(
            a1.session_command,
            "aws ssm start-session --target i-0a --region cn-northwest-1"
        );
        let ports: Vec<u16> = a1.port_commands.iter().map(|(p, _)| *p).collect();
        assert_eq!(ports, [8005, 22345]);
        assert!(a1.port_commands[1].1.ends_with(
            "--document-name AWS-StartPortForwardingSession --parameters portNumber=22345,localPortNumber=22345"
        ));
    }

    /// The seed with an Auto Scaling group: its instance ids are not in the plan, so the hint
    /// says where they are listed, and the Session Manager commands (the console's port among
    /// them) take one of them.
    #[test]
    fn a_server_group_says_where_its_instances_are_and_how_to_reach_one() {
        let loaded = crate::load::shipped("lowcode-asg.yaml");
        let entry = |out: &BTreeMap<Address, Outputs>| {
            entry_points(
                &loaded.blueprint,
                "blueprints/lowcode-asg.yaml",
                "cn-northwest-1",
                &loaded.resources,
                out,
            )
        };
        assert!(
            entry(&BTreeMap::new()).groups.is_empty(),
            "no group answered yet"
        );
        let out = outputs(&[(
            "servers.autoscaling_group[app]",
            json!({"id": "lowcode-asg-srv-app-asg"}),
        )]);
        let entry = entry(&out);
        assert!(entry.servers.is_empty(), "no fixed server");
        let [group] = entry.groups.as_slice() else {
            panic!("one group: {:?}", entry.groups)
        };
        assert_eq!(group.name, "lowcode-asg-srv-app-asg");
        assert_eq!(
            group.status_command,
            "shinyctl status -f blueprints/lowcode-asg.yaml"
        );
        assert_eq!(
            group.instances_command,
            "aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names \
             lowcode-asg-srv-app-asg --region cn-northwest-1 --query \
             \"AutoScalingGroups[0].Instances[?LifecycleState=='InService'].InstanceId\" \
             --output text"
        );
        assert_eq!(
            group.session_command,
            "aws ssm start-session --target <instance-id> --region cn-northwest-1"
        );
        let ports: Vec<u16> = group.port_commands.iter().map(|(p, _)| *p).collect();
        assert_eq!(ports, [8005, 22345]);
        assert_eq!(
            group.port_commands[1].1,
            "aws ssm start-session --target <instance-id> --region cn-northwest-1 \
             --document-name AWS-StartPortForwardingSession \
             --parameters portNumber=22345,localPortNumber=22345"
        );
    }

    #[test]
    fn a_blueprint_path_is_one_shell_word() {
        assert_eq!(shell_word("blueprints/a.yaml"), "blueprints/a.yaml");
        assert_eq!(shell_word("my dir/it's.yaml"), "'my dir/it'\\''s.yaml'");
    }
}
