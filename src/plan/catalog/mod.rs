//! The resource catalog: a validated blueprint becomes the AWS resources it asks for, each with a
//! stable address (`addresses.rs`), its AWS name (`names.rs`), desired properties and
//! dependencies. One builder per blueprint section. Pure: no IO.
//!
//! Conventions every builder follows:
//! - properties are what AWS would show, camelCase, built in a fixed order;
//! - a reference to another resource is its address string (`"vpc": "network.vpc"`), and an
//!   attribute AWS assigns at creation is `address#attribute`; inside a longer string or an
//!   object key a reference is embedded as `${address}` / `${address#attribute}` (`embedded.rs`);
//!   `finish` turns every such reference into a `depends_on` entry, so the two never disagree;
//! - `finish` adds the tags (`metadata.tags`, `Name` for EC2/EFS, the ownership tags) to every
//!   kind that takes tags, and sorts the output by address.

pub(crate) mod address_tag;
pub(crate) mod addresses;
pub(crate) mod cache;
pub(crate) mod cluster;
pub(crate) mod database;
pub(crate) mod ecs;
pub(crate) mod ecs_kinds;
pub(crate) mod embedded;
pub(crate) mod iam;
pub(crate) mod ingress;
pub(crate) mod monitoring;
pub(crate) mod name_check;
pub(crate) mod names;
pub(crate) mod network;
pub(crate) mod registry;
pub(crate) mod routes;
pub(crate) mod scaling_kinds;
pub(crate) mod secrets;
pub(crate) mod security;
pub mod servers;
pub(crate) mod storage;

pub(crate) use name_check::name_problems;
pub(crate) use names::Names;
// The blueprint's own: its validation needs them too, and `blueprint` never imports `plan`.
pub(crate) use crate::blueprint::partition::{self, Partition, partition};
pub(crate) use crate::blueprint::subnets::carve;
pub(crate) use crate::blueprint::support::defaults::CANARY_RUNTIME;

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;
use serde_json::{Map, Value};

use super::{Address, Resource, ResourceKind};
use crate::blueprint::Blueprint;
use crate::blueprint::defaults;
use crate::blueprint::model::Network;
use crate::graph::{CriticalPath, Cycle, Dag};

/// Tag naming the blueprint that owns a resource.
pub const BLUEPRINT_TAG: &str = "shinyctl.dev/blueprint";
/// Tag holding a resource's address: how the live reader maps AWS resources back to the graph.
/// Its value is the address encoded by [`address_tag::encode`] (AWS refuses brackets in tags).
pub(crate) const ADDRESS_TAG: &str = "shinyctl.dev/address";

/// Every AWS resource the blueprint asks for, sorted by address, for an account not known yet
/// (offline: names that hold the account show [`names::ACCOUNT_PLACEHOLDER`]).
pub(crate) fn desired(bp: &Blueprint) -> Vec<Resource> {
    desired_in(bp, None)
}

/// Every AWS resource the blueprint asks for in `account` (the live connection's identity),
/// sorted by address.
pub(crate) fn desired_in(bp: &Blueprint, account: Option<&str>) -> Vec<Resource> {
    desired_with(bp, account, None)
}

/// Every AWS resource the blueprint asks for, with its subnets in `zones` (a live plan's choice,
/// `plan::zones::choose`) instead of the assumed ones.
pub(crate) fn desired_with(
    bp: &Blueprint,
    account: Option<&str>,
    zones: Option<&[String]>,
) -> Vec<Resource> {
    let mut catalog = Catalog::new(bp, account, zones);
    network::build(&mut catalog);
    iam::build(&mut catalog);
    cluster::build(&mut catalog);
    storage::build(&mut catalog);
    database::build(&mut catalog);
    cache::build(&mut catalog);
    registry::build(&mut catalog);
    servers::build(&mut catalog);
    routes::build(&mut catalog);
    ingress::build(&mut catalog);
    ecs::build(&mut catalog);
    monitoring::build(&mut catalog);
    catalog.finish()
}

/// The dependency graph of `resources` (a dependency outside the list becomes a bare node).
pub(crate) fn dependency_graph(resources: &[Resource]) -> Dag<Address> {
    let mut dag = Dag::new();
    for resource in resources {
        dag.add_node(resource.address.clone());
        for dependency in &resource.depends_on {
            dag.add_dependency(resource.address.clone(), dependency.clone());
        }
    }
    dag
}

/// The slowest chain to create everything, by the kinds' creation-time estimates.
pub(crate) fn critical_path(
    resources: &[Resource],
) -> Result<CriticalPath<Address>, Cycle<Address>> {
    let kinds: BTreeMap<&Address, ResourceKind> =
        resources.iter().map(|r| (&r.address, r.kind)).collect();
    dependency_graph(resources).critical_path(|a| kinds.get(a).map_or(0.0, |k| k.create_seconds()))
}

/// One availability zone and the subnets carved for it.
#[derive(Debug, Clone)]
pub(crate) struct Zone {
    /// AWS zone name, `cn-northwest-1a`.
    pub(crate) name: String,
    /// Short key used in addresses and names, `a`.
    pub(crate) key: String,
    pub(crate) public: Option<Ipv4Net>,
    pub(crate) private: Option<Ipv4Net>,
    pub(crate) data: Option<Ipv4Net>,
}

/// Where the workloads that use the data services run, as a security-group rule source.
#[derive(Debug, Clone)]
pub(crate) enum Client {
    /// A security group, by address.
    Group(&'static str),
    /// A private subnet's CIDR (Fargate pods and, later, plain EC2 servers), keyed by zone.
    Cidr { zone: String, cidr: String },
}

/// What every builder reads and writes.
pub(crate) struct Catalog<'a> {
    pub(crate) bp: &'a Blueprint,
    pub(crate) partition: Partition,
    pub(crate) names: Names,
    /// The network section, or its defaults when another section needs a VPC and none is written.
    pub(crate) network: Option<Network>,
    pub(crate) vpc_cidr: Option<Ipv4Net>,
    pub(crate) zones: Vec<Zone>,
    out: Vec<Resource>,
}

impl<'a> Catalog<'a> {
    fn new(bp: &'a Blueprint, account: Option<&str>, zones: Option<&[String]>) -> Self {
        let needs_vpc = bp.cluster.is_some()
            || bp.storage.as_ref().is_some_and(|s| s.efs.is_some())
            || bp.database.is_some()
            || bp.cache.is_some()
            || bp.ingress.is_some()
            || !bp.servers.is_empty();
        let network = bp.network.clone().or_else(|| {
            needs_vpc.then(|| Network {
                cidr: defaults::network_cidr(),
                availability_zones: defaults::availability_zones(),
                nat_gateway: defaults::nat_gateway(),
            })
        });
        let region = bp.metadata.region.as_str();
        let vpc_cidr: Option<Ipv4Net> = network
            .as_ref()
            .and_then(|n| n.cidr.parse::<Ipv4Net>().ok())
            .map(|n| n.trunc());
        let zones = match &network {
            None => Vec::new(),
            Some(n) => {
                let names = match zones {
                    Some(chosen) => chosen.to_vec(),
                    None => defaults::zone_names(region, &n.availability_zones),
                };
                // A CIDR without room is reported by validation; the plan still shows the subnets.
                let layout = vpc_cidr.and_then(|cidr| carve(cidr, names.len()).ok());
                names
                    .into_iter()
                    .enumerate()
                    .map(|(i, name)| Zone {
                        key: zone_key(region, &name),
                        public: layout.as_ref().and_then(|l| l.public.get(i).copied()),
                        private: layout.as_ref().and_then(|l| l.private.get(i).copied()),
                        data: layout.as_ref().and_then(|l| l.data.get(i).copied()),
                        name,
                    })
                    .collect()
            }
        };
        Catalog {
            bp,
            partition: partition(region),
            names: Names::in_account(&bp.metadata.name, account),
            network,
            vpc_cidr,
            zones,
            out: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, resource: Resource) {
        self.out.push(resource);
    }

    /// Addresses of one tier's subnets (`public`, `private`, `data`), in zone order.
    pub(crate) fn subnets(&self, tier: &str) -> Vec<String> {
        self.zones
            .iter()
            .map(|z| addresses::subnet(tier, &z.key))
            .collect()
    }

    /// Addresses of the private default routes: what needs egress to the internet waits for them.
    pub(crate) fn private_routes(&self) -> Vec<Address> {
        self.out
            .iter()
            .filter(|r| {
                r.kind == ResourceKind::Route
                    && r.address.as_str() != addresses::PUBLIC_DEFAULT_ROUTE
            })
            .map(|r| r.address.clone())
            .collect()
    }

    /// Addresses of the policy attachments of the role at `role`.
    pub(crate) fn attachments_of(&self, role: &str) -> Vec<Address> {
        self.out
            .iter()
            .filter(|r| {
                r.kind == ResourceKind::IamRolePolicyAttachment
                    && r.properties.get("role").and_then(Value::as_str) == Some(role)
            })
            .map(|r| r.address.clone())
            .collect()
    }

    /// Who reaches the data services and receives the load balancer's traffic: the node
    /// group's security group, and the private subnets where pods run outside it (Fargate pods
    /// get the EKS-made cluster security group, unknown to a plan) or where there is no cluster
    /// and no server group (server groups have security groups of their own: `servers.rs`).
    pub(crate) fn clients(&self) -> Vec<Client> {
        let cluster = self.bp.cluster.as_ref();
        let mut clients = Vec::new();
        if cluster.is_some_and(|c| !c.node_groups.is_empty()) {
            clients.push(Client::Group(addresses::NODES_SG));
        }
        let fargate = cluster.is_some_and(|c| !c.fargate_profiles.is_empty());
        if fargate || (cluster.is_none() && self.bp.servers.is_empty()) {
            for zone in &self.zones {
                if let Some(cidr) = zone.private {
                    clients.push(Client::Cidr {
                        zone: zone.key.clone(),
                        cidr: cidr.to_string(),
                    });
                }
            }
        }
        clients
    }

    /// References become dependencies, tags are added, everything is sorted.
    fn finish(self) -> Vec<Resource> {
        let known: BTreeSet<String> = self.out.iter().map(|r| r.address.0.clone()).collect();
        let metadata = &self.bp.metadata;
        let mut out: Vec<Resource> = self
            .out
            .into_iter()
            .map(|mut r| {
                let mut refs = BTreeSet::new();
                for value in r.properties.values() {
                    collect_references(value, &known, &mut refs);
                }
                refs.remove(r.address.as_str());
                for dependency in refs {
                    r = r.after(&Address::new(dependency));
                }
                r.depends_on.sort();
                r.depends_on.dedup();
                if r.kind.takes_tags() {
                    let tags = tags_for(&r, metadata);
                    r.properties.insert("tags".into(), tags);
                }
                r
            })
            .collect();
        out.sort_by(|a, b| a.address.cmp(&b.address));
        out
    }
}

/// `cn-northwest-1a` in `cn-northwest-1` is `a`; a name outside the region stays whole.
fn zone_key(region: &str, zone: &str) -> String {
    match zone.strip_prefix(region) {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => zone.to_string(),
    }
}

fn collect_references(value: &Value, known: &BTreeSet<String>, refs: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            let address = s.split('#').next().unwrap_or(s);
            if known.contains(address) {
                refs.insert(address.to_string());
            }
            collect_embedded(s, known, refs);
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_references(v, known, refs)),
        Value::Object(map) => map.iter().for_each(|(key, v)| {
            collect_embedded(key, known, refs);
            collect_references(v, known, refs);
        }),
        _ => {}
    }
}

/// `${address}` / `${address#attribute}` inside `text` (only addresses the catalog has).
fn collect_embedded(text: &str, known: &BTreeSet<String>, refs: &mut BTreeSet<String>) {
    for r in embedded::references_in(text) {
        if known.contains(r.address) {
            refs.insert(r.address.to_string());
        }
    }
}

/// The blueprint's tags, the builder's own (already in `properties.tags`), `Name` where the
/// console shows it, and the ownership tags; sorted by key.
fn tags_for(r: &Resource, metadata: &crate::blueprint::model::Metadata) -> Value {
    let mut tags: BTreeMap<String, Value> = metadata
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    if let Some(Value::Object(own)) = r.properties.get("tags") {
        tags.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if r.kind.service() == "ec2" || r.kind.service() == "efs" {
        tags.insert("Name".into(), Value::String(r.name.clone()));
    }
    tags.insert(BLUEPRINT_TAG.into(), Value::String(metadata.name.clone()));
    tags.insert(
        ADDRESS_TAG.into(),
        Value::String(address_tag::encode(r.address.as_str())),
    );
    Value::Object(tags.into_iter().collect::<Map<String, Value>>())
}

/// `5m`, `15m`, `1h`, `30s` or a bare number of seconds; `None` when unreadable.
pub(crate) fn duration_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number.parse().ok()?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
pub(crate) mod tests;
