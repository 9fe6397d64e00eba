//! Security groups and their rules, shared by the section builders: each section owns its group
//! and the rules that let exactly its clients in.

use serde::{Deserialize, Serialize};

use super::{Catalog, Client, addresses};
use crate::plan::{Resource, ResourceKind};

/// A security group's properties: all three identify it (AWS changes none in place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecurityGroupProps {
    pub(crate) group_name: String,
    pub(crate) description: String,
    /// The VPC's address.
    pub(crate) vpc: String,
}

/// A security group rule's properties; only `description` changes in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecurityGroupRuleProps {
    /// The group's address (or `address#attribute` for a group shinyctl did not make).
    pub(crate) security_group: String,
    /// `ingress` or `egress`.
    pub(crate) direction: String,
    /// `tcp`, `udp` or `-1` for all traffic.
    pub(crate) protocol: String,
    pub(crate) from_port: i32,
    pub(crate) to_port: i32,
    /// A group's address or a CIDR, as `source_type` says.
    pub(crate) source: String,
    /// `securityGroup` or `cidr`.
    pub(crate) source_type: String,
    pub(crate) description: String,
}

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
    .props(&SecurityGroupProps {
        group_name: catalog.names.security_group(role),
        description: description.into(),
        vpc: addresses::VPC.into(),
    })
}

/// Where a rule's traffic comes from (ingress) or goes to (egress).
pub(crate) enum Peer<'s> {
    Group(&'s str),
    Cidr(&'s str),
}

pub(crate) struct Rule<'s> {
    pub(crate) section: &'s str,
    pub(crate) key: String,
    pub(crate) group: &'s str,
    pub(crate) direction: &'static str,
    /// `tcp`, `udp` or `-1` for all traffic.
    pub(crate) protocol: &'static str,
    pub(crate) from_port: i32,
    pub(crate) to_port: i32,
    pub(crate) peer: Peer<'s>,
    pub(crate) description: String,
    pub(crate) origin: &'s str,
}

impl Rule<'_> {
    pub(crate) fn build(self, catalog: &Catalog) -> Resource {
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
        .props(&SecurityGroupRuleProps {
            security_group: self.group.into(),
            direction: self.direction.into(),
            protocol: self.protocol.into(),
            from_port: self.from_port,
            to_port: self.to_port,
            source,
            source_type: source_kind.into(),
            description: self.description,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<SecurityGroupProps>(ResourceKind::SecurityGroup);
        check_spec_fields::<SecurityGroupRuleProps>(ResourceKind::SecurityGroupRule);
    }
}
