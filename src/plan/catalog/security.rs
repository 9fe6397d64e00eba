//! Security groups and their rules, shared by the section builders: each section owns its group
//! and the rules that let exactly its clients in.

use serde_json::Value;

use super::{Catalog, Client, addresses};
use crate::plan::{Resource, ResourceKind};

/// A security group in the VPC.
pub(crate) fn group(
    catalog: &Catalog,
    address: &str,
    role: &str,
    description: &str,
    origin: &str,
) -> Resource {
    Resource::new(
        address,
        ResourceKind::SecurityGroup,
        catalog.names.security_group(role),
        origin,
    )
    .with("groupName", catalog.names.security_group(role))
    .with("description", description)
    .with("vpc", addresses::VPC)
}

/// Where a rule's traffic comes from (ingress) or goes to (egress).
pub(crate) enum Peer<'s> {
    Group(&'s str),
    Cidr(&'s str),
}

pub(crate) struct Rule<'s> {
    pub section: &'s str,
    pub key: String,
    pub group: &'s str,
    pub direction: &'static str,
    /// `tcp`, `udp` or `-1` for all traffic.
    pub protocol: &'static str,
    pub from_port: i32,
    pub to_port: i32,
    pub peer: Peer<'s>,
    pub description: String,
    pub origin: &'s str,
}

impl Rule<'_> {
    pub fn build(self, catalog: &Catalog) -> Resource {
        let (source, source_kind) = match self.peer {
            Peer::Group(address) => (address.to_string(), "securityGroup"),
            Peer::Cidr(cidr) => (cidr.to_string(), "cidr"),
        };
        Resource::new(
            addresses::security_group_rule(self.section, &self.key),
            ResourceKind::SecurityGroupRule,
            catalog
                .names
                .label(&format!("{}-{}", self.section, self.key.replace('_', "-"))),
            self.origin,
        )
        .with("securityGroup", self.group)
        .with("direction", self.direction)
        .with("protocol", self.protocol)
        .with("fromPort", self.from_port)
        .with("toPort", self.to_port)
        .with("source", source)
        .with("sourceType", source_kind)
        .with("description", Value::String(self.description))
    }
}

/// Ingress rules letting every client reach `port` on `group`.
pub(crate) fn allow_clients(
    catalog: &mut Catalog,
    section: &str,
    group: &str,
    port: u16,
    what: &str,
    origin: &str,
) {
    for client in catalog.clients() {
        let rule = match &client {
            Client::Group(peer) => Rule {
                section,
                key: "from_nodes".into(),
                group,
                direction: "ingress",
                protocol: "tcp",
                from_port: i32::from(port),
                to_port: i32::from(port),
                peer: Peer::Group(peer),
                description: format!("{what} from the cluster nodes"),
                origin,
            },
            Client::Cidr { zone, cidr } => Rule {
                section,
                key: format!("from_private_{zone}"),
                group,
                direction: "ingress",
                protocol: "tcp",
                from_port: i32::from(port),
                to_port: i32::from(port),
                peer: Peer::Cidr(cidr),
                description: format!("{what} from the private subnet in zone {zone}"),
                origin,
            },
        }
        .build(catalog);
        catalog.push(rule);
    }
}
