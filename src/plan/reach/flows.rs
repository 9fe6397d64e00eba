//! The flows the platform needs, between endpoints read from the planned resources: where pods
//! run (node groups, Fargate), the control plane, the load balancer, EFS, the database, the
//! cache, and the internet (canaries and users).

use ipnet::Ipv4Net;
use serde_json::Value;

use super::network::{Network, Protocol, strings};
use crate::blueprint::Blueprint;
use crate::blueprint::model::{ServerConnection, ServerGroup};
use crate::plan::catalog::addresses as a;
use crate::plan::{Resource, ResourceKind as K};

/// Where a namespace's pods may run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Runs {
    pub(crate) nodes: bool,
    pub(crate) fargate: bool,
}

/// Where pods of `namespace` may run: on Fargate when a profile selects the namespace (only
/// there when a selector takes the whole namespace, without labels), on the node groups
/// otherwise. Neither when the cluster has no node group and no profile selects it.
pub(crate) fn namespace_runs_on(bp: &Blueprint, namespace: &str) -> Runs {
    let Some(cluster) = &bp.cluster else {
        return Runs::default();
    };
    let selectors = cluster
        .fargate_profiles
        .iter()
        .flat_map(|f| &f.selectors)
        .map(|s| (s.namespace.as_str(), !s.labels.is_empty()));
    runs(selectors, !cluster.node_groups.is_empty(), namespace)
}

/// [`namespace_runs_on`] over Fargate selectors as (namespace, with labels).
fn runs<'s>(
    selectors: impl Iterator<Item = (&'s str, bool)>,
    has_nodes: bool,
    namespace: &str,
) -> Runs {
    let selecting: Vec<bool> = selectors
        .filter(|(ns, _)| *ns == namespace)
        .map(|(_, labelled)| labelled)
        .collect();
    let only_fargate = selecting.iter().any(|labelled| !labelled);
    Runs {
        fargate: !selecting.is_empty(),
        nodes: has_nodes && !only_fargate,
    }
}

/// Where the load balancer's targets run: ShinyProxy's pods, or (a cluster without a proxy
/// section) any pod of the cluster.
pub(crate) fn targets_run_on(bp: &Blueprint) -> Runs {
    match (&bp.cluster, &bp.proxy) {
        (Some(_), Some(proxy)) => namespace_runs_on(bp, &proxy.namespace),
        (Some(cluster), None) => Runs {
            nodes: !cluster.node_groups.is_empty(),
            fargate: !cluster.fargate_profiles.is_empty(),
        },
        (None, _) => Runs::default(),
    }
}

/// A place an endpoint's addresses come from: a subnet (its CIDR), or a CIDR outside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) subnet: Option<String>,
    pub(crate) cidr: Option<Ipv4Net>,
}

/// One end of a flow.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) what: String,
    /// Its security groups; `None` when shinyctl plans none (the internet, the user's servers):
    /// that side of the flow is not shinyctl's to check.
    pub(crate) groups: Option<Vec<String>>,
    pub(crate) places: Vec<Place>,
    /// Outside the VPC (the internet): reaches only public endpoints through internet routes.
    pub(crate) outside: bool,
    /// Has addresses on the internet (an internet-facing load balancer).
    pub(crate) public: bool,
}

impl Endpoint {
    fn in_subnets(what: String, groups: Vec<String>, subnets: &[String], net: &Network) -> Self {
        Endpoint {
            what,
            groups: Some(groups),
            places: subnets
                .iter()
                .map(|s| Place {
                    subnet: Some(s.clone()),
                    cidr: net.subnet_cidrs.get(s).copied(),
                })
                .collect(),
            outside: false,
            public: false,
        }
    }

    fn internet(what: &str) -> Self {
        Endpoint {
            what: what.into(),
            groups: None,
            places: vec![Place {
                subnet: None,
                cidr: Some(Ipv4Net::default()),
            }],
            outside: true,
            public: false,
        }
    }
}

/// Traffic the platform needs: `from` opens connections to `to` on `port`.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub(crate) from: Endpoint,
    pub(crate) to: Endpoint,
    pub(crate) protocol: Protocol,
    pub(crate) port: u16,
    /// The YAML path the flow comes from (for the diagnostic).
    pub(crate) about: String,
}

impl Flow {
    pub(crate) fn name(&self) -> String {
        format!(
            "{} -> {} ({} {})",
            self.from.what,
            self.to.what,
            self.protocol.name(),
            self.port
        )
    }
}

const NFS_PORT: u16 = 2049;
const DNS_PORT: u16 = 53;
const KUBELET_PORT: u16 = 10250;
const API_PORT: u16 = 443;
/// The AWS Load Balancer Controller's webhook (its Helm chart's `webhookBindPort`).
const WEBHOOK_PORT: u16 = 9443;

fn first(resources: &[Resource], kind: K) -> Option<&Resource> {
    resources.iter().find(|r| r.kind == kind)
}

fn of_kind(resources: &[Resource], kind: K) -> impl Iterator<Item = &Resource> {
    resources.iter().filter(move |r| r.kind == kind)
}

/// A server group as a flow endpoint: its servers' subnets, its launch template's groups.
struct ServerEnd<'b> {
    end: Endpoint,
    group: &'b ServerGroup,
    index: usize,
}

fn server_groups<'b>(
    bp: &'b Blueprint,
    resources: &[Resource],
    net: &Network,
) -> Vec<ServerEnd<'b>> {
    bp.servers
        .iter()
        .enumerate()
        .map(|(index, group)| {
            let prefix = format!("servers.ec2_instance[{}-", group.name);
            let mut subnets: Vec<String> = of_kind(resources, K::Ec2Instance)
                .filter(|r| r.address.as_str().starts_with(&prefix))
                .filter_map(|r| r.properties.get("subnet").and_then(Value::as_str))
                .map(str::to_string)
                .collect();
            // An Auto Scaling group's servers are in its subnets.
            let scaled = a::server("autoscaling_group", &group.name);
            if let Some(asg) = resources.iter().find(|r| r.address.as_str() == scaled) {
                subnets.extend(strings(asg, "subnets"));
            }
            subnets.sort();
            subnets.dedup();
            let template = a::server("launch_template", &group.name);
            let groups = resources
                .iter()
                .find(|r| r.address.as_str() == template)
                .map(|t| strings(t, "securityGroups"))
                .unwrap_or_default();
            ServerEnd {
                end: Endpoint::in_subnets(
                    format!("app servers {}", group.name),
                    groups,
                    &subnets,
                    net,
                ),
                group,
                index,
            }
        })
        .collect()
}

fn subnets_of_group(resources: &[Resource], group: Option<&str>) -> Vec<String> {
    group
        .and_then(|g| resources.iter().find(|r| r.address.as_str() == g))
        .map(|g| strings(g, "subnets"))
        .unwrap_or_default()
}

/// Where pods run: one endpoint per node group, and Fargate (with the planned profiles'
/// selectors, as (namespace, with labels)).
struct Compute {
    nodes: Vec<Endpoint>,
    fargate: Option<Endpoint>,
    selectors: Vec<(String, bool)>,
}

impl Compute {
    fn of(resources: &[Resource], net: &Network) -> Self {
        let nodes = of_kind(resources, K::NodeGroup)
            .map(|ng| {
                Endpoint::in_subnets(
                    format!("pods on {}", ng.address),
                    strings(ng, "securityGroups"),
                    &strings(ng, "subnets"),
                    net,
                )
            })
            .collect();
        let mut subnets: Vec<String> = of_kind(resources, K::FargateProfile)
            .flat_map(|p| strings(p, "subnets"))
            .collect();
        subnets.sort();
        subnets.dedup();
        // Fargate pods get the cluster security group EKS makes, and only that one (EKS user
        // guide, "Get started with AWS Fargate for your cluster", step 1).
        let fargate = (!subnets.is_empty()).then(|| {
            Endpoint::in_subnets(
                "pods on Fargate".into(),
                vec![a::EKS_MADE_SG.to_string()],
                &subnets,
                net,
            )
        });
        let selectors = of_kind(resources, K::FargateProfile)
            .filter_map(|p| p.properties.get("selectors").and_then(Value::as_array))
            .flatten()
            .filter_map(|s| {
                let namespace = s.get("namespace")?.as_str()?.to_string();
                let labelled = s
                    .get("labels")
                    .and_then(Value::as_object)
                    .is_some_and(|l| !l.is_empty());
                Some((namespace, labelled))
            })
            .collect();
        Compute {
            nodes,
            fargate,
            selectors,
        }
    }

    /// Where the planned cluster runs pods of `namespace` ([`namespace_runs_on`], from the
    /// planned Fargate profiles and node groups).
    fn runs(&self, namespace: &str) -> Runs {
        runs(
            self.selectors.iter().map(|(ns, l)| (ns.as_str(), *l)),
            !self.nodes.is_empty(),
            namespace,
        )
    }

    /// The endpoints pods that run on `runs` may have, named for `what` they are.
    fn hosting(&self, runs: Runs, what: &str) -> Vec<Endpoint> {
        let mut out = Vec::new();
        if runs.nodes {
            out.extend(self.nodes.iter().cloned());
        }
        if runs.fargate {
            out.extend(self.fargate.iter().cloned());
        }
        for e in &mut out {
            e.what = e.what.replacen("pods", what, 1);
        }
        out
    }

    fn all(&self, what: &str) -> Vec<Endpoint> {
        self.hosting(
            Runs {
                nodes: true,
                fargate: true,
            },
            what,
        )
    }
}

/// Every flow the platform planned from `resources` needs.
pub(crate) fn needed(bp: &Blueprint, resources: &[Resource], net: &Network) -> Vec<Flow> {
    let mut flows = Vec::new();
    let mut add = |from: &[Endpoint], to: &[Endpoint], protocol, port, about: &str| {
        for f in from {
            for t in to {
                flows.push(Flow {
                    from: f.clone(),
                    to: t.clone(),
                    protocol,
                    port,
                    about: about.to_string(),
                });
            }
        }
    };
    let compute = Compute::of(resources, net);
    let in_cluster = bp.cluster.is_some();

    // The workloads: ShinyProxy and its apps, or any pod of a cluster without a proxy section,
    // or (no cluster) the servers in the private subnets, whose own groups are the user's.
    let servers = || {
        let subnets: Vec<String> = net
            .subnet_cidrs
            .keys()
            .filter(|s| s.starts_with("network.subnet.private["))
            .cloned()
            .collect();
        let mut e = Endpoint::in_subnets(
            "servers in the private subnets".into(),
            vec![],
            &subnets,
            net,
        );
        e.groups = None;
        vec![e]
    };
    let (proxy, apps) = match (&bp.proxy, in_cluster) {
        (Some(p), true) => (
            compute.hosting(compute.runs(&p.namespace), "ShinyProxy"),
            compute.hosting(compute.runs(&p.app_namespace), "apps"),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let groups = server_groups(bp, resources, net);
    let workloads: Vec<Endpoint> = match (&bp.proxy, in_cluster) {
        (Some(_), true) => proxy.iter().chain(&apps).cloned().collect(),
        (None, true) => compute.all("pods"),
        (_, false) if !groups.is_empty() => Vec::new(),
        (_, false) => servers(),
    };
    // What each server group uses: `connect` and `mounts` say.
    let uses = |needs: fn(&ServerGroup) -> bool| -> Vec<(Endpoint, String)> {
        groups
            .iter()
            .filter(|g| needs(g.group))
            .map(|g| (g.end.clone(), format!("servers[{}]", g.index)))
            .collect()
    };

    // The load balancer: clients and canaries reach it; it reaches its targets.
    if let Some(lb) = first(resources, K::LoadBalancer) {
        let mut lb_end = Endpoint::in_subnets(
            "the load balancer".into(),
            strings(lb, "securityGroups"),
            &strings(lb, "subnets"),
            net,
        );
        lb_end.public =
            lb.properties.get("scheme").and_then(Value::as_str) == Some("internet-facing");
        let clients = if lb_end.public {
            Endpoint::internet("clients on the internet")
        } else {
            Endpoint {
                what: "clients in the VPC".into(),
                groups: None,
                places: vec![Place {
                    subnet: None,
                    cidr: net.vpc_cidr,
                }],
                outside: false,
                public: false,
            }
        };
        for listener in of_kind(resources, K::Listener) {
            if let Some(port) = port_of(listener, "port") {
                add(
                    std::slice::from_ref(&clients),
                    std::slice::from_ref(&lb_end),
                    Protocol::Tcp,
                    port,
                    &listener.origin,
                );
            }
        }
        let targets = match (&bp.proxy, in_cluster) {
            (None, true) => compute.all("targets"),
            (Some(p), true) => compute.hosting(compute.runs(&p.namespace), "ShinyProxy"),
            (_, false) => servers(),
        };
        let proxy_targets = resources
            .iter()
            .find(|r| r.address.as_str() == a::TARGET_GROUP);
        if let Some(port) = proxy_targets.and_then(|t| port_of(t, "port")) {
            add(
                std::slice::from_ref(&lb_end),
                &targets,
                Protocol::Tcp,
                port,
                "ingress",
            );
        }
        for g in &groups {
            if let Some(http) = &g.group.http {
                add(
                    std::slice::from_ref(&lb_end),
                    std::slice::from_ref(&g.end),
                    Protocol::Tcp,
                    http.port,
                    &format!("servers[{}].http", g.index),
                );
            }
        }
        // Synthetics canaries without a VPC configuration run on the internet.
        for canary in of_kind(resources, K::Canary) {
            let port = canary
                .properties
                .get("target")
                .and_then(|t| t.get("port"))
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok());
            if let Some(port) = port {
                let from = Endpoint::internet(&format!("canary {}", canary.address));
                add(
                    &[from],
                    std::slice::from_ref(&lb_end),
                    Protocol::Tcp,
                    port,
                    &canary.origin,
                );
            }
        }
    }

    if let Some(p) = &bp.proxy {
        let mut ports: Vec<(usize, u16)> = p.apps.iter().map(|app| app.port).enumerate().collect();
        ports.sort_by_key(|(_, port)| *port);
        ports.dedup_by_key(|(_, port)| *port);
        for (i, port) in ports {
            add(
                &proxy,
                &apps,
                Protocol::Tcp,
                port,
                &format!("proxy.apps[{i}]"),
            );
        }
    }

    if let Some(cluster) = first(resources, K::EksCluster) {
        let mut groups = strings(cluster, "securityGroups");
        groups.push(a::EKS_MADE_SG.to_string());
        let control_plane = [Endpoint::in_subnets(
            "the control plane".into(),
            groups,
            &strings(cluster, "subnets"),
            net,
        )];
        let pods = compute.all("pods");
        let dns = compute.hosting(compute.runs("kube-system"), "CoreDNS");
        if dns.is_empty() {
            let nowhere = Endpoint {
                what: "CoreDNS (no node group, and no Fargate profile selects kube-system)".into(),
                groups: Some(Vec::new()),
                places: Vec::new(),
                outside: false,
                public: false,
            };
            add(&pods, &[nowhere], Protocol::Udp, DNS_PORT, "cluster");
        }
        for protocol in [Protocol::Udp, Protocol::Tcp] {
            add(&pods, &dns, protocol, DNS_PORT, "cluster");
        }
        add(&pods, &control_plane, Protocol::Tcp, API_PORT, "cluster");
        add(
            &control_plane,
            &compute.nodes,
            Protocol::Tcp,
            KUBELET_PORT,
            "cluster.nodeGroups",
        );
        let controllers =
            compute.hosting(compute.runs("kube-system"), "the load balancer controller");
        if bp.ingress.is_some() {
            add(
                &control_plane,
                &controllers,
                Protocol::Tcp,
                WEBHOOK_PORT,
                "cluster",
            );
        }
    }

    // The data services, from every workload.
    let efs: Vec<Endpoint> = of_kind(resources, K::EfsMountTarget)
        .map(|m| {
            Endpoint::in_subnets(
                format!("EFS at {}", m.address),
                strings(m, "securityGroups"),
                &m.properties
                    .get("subnet")
                    .and_then(Value::as_str)
                    .map(|s| vec![s.to_string()])
                    .unwrap_or_default(),
                net,
            )
        })
        .collect();
    add(&workloads, &efs, Protocol::Tcp, NFS_PORT, "storage.efs");
    for (end, about) in uses(|g| !g.mounts.is_empty()) {
        add(
            &[end],
            &efs,
            Protocol::Tcp,
            NFS_PORT,
            &format!("{about}.mounts"),
        );
    }
    // The database and the cache: from every workload, and from the server groups that
    // `connect` to them.
    type Uses = fn(&ServerGroup) -> bool;
    let mut data: Vec<(Endpoint, u16, &str, Uses)> = Vec::new();
    let database = resources
        .iter()
        .find(|r| matches!(r.kind, K::DbCluster | K::DbInstance));
    if let Some(db) = database
        && let Some(port) = port_of(db, "port")
    {
        let to = Endpoint::in_subnets(
            "the database".into(),
            strings(db, "vpcSecurityGroups"),
            &subnets_of_group(
                resources,
                db.properties.get("dbSubnetGroup").and_then(Value::as_str),
            ),
            net,
        );
        data.push((to, port, "database", |g| {
            g.connect.contains(&ServerConnection::Database)
        }));
    }
    if let Some(cache) = first(resources, K::CacheReplicationGroup)
        && let Some(port) = port_of(cache, "port")
    {
        let to = Endpoint::in_subnets(
            "the cache".into(),
            strings(cache, "securityGroups"),
            &subnets_of_group(
                resources,
                cache
                    .properties
                    .get("cacheSubnetGroup")
                    .and_then(Value::as_str),
            ),
            net,
        );
        data.push((to, port, "cache", |g| {
            g.connect.contains(&ServerConnection::Cache)
        }));
    }
    for (to, port, about, needs) in data {
        let to = std::slice::from_ref(&to);
        add(&workloads, to, Protocol::Tcp, port, about);
        for (end, group) in uses(needs) {
            add(&[end], to, Protocol::Tcp, port, &format!("{group}.connect"));
        }
    }
    flows
}

fn port_of(r: &Resource, key: &str) -> Option<u16> {
    r.properties
        .get(key)
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
}
